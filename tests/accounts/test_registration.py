"""Member registration: eligibility match, the account step, the email code, then enrolment of a
second factor before any PHI. Nothing here tells an existing member or email from a new one."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from rxportal.accounts.models import ChallengeAnswer, LoginThrottle, Role, SecurityProfile, User
from rxportal.accounts.services import lockout, registration
from rxportal.accounts.services.challenges import check_challenge_answer
from rxportal.accounts.services.signin import ENROLMENT_REQUIRED_SESSION_KEY
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.members.models import Member
from tests.accounts.test_registration_support import (
    ANSWER,
    PASSWORD,
    QUESTIONS,
    SITEKEY_PHRASE,
    account_details,
    adult_member,
    age_the_code,
    code_in,
    comparable,
    eligibility_for,
    enter_code,
    prove_membership,
    sign_up,
    years_ago,
)
from tests.accounts.test_signin_support import fresh_cache  # noqa: F401
from tests.factories import ClientFactory, DependentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

NO_MATCH = "We couldn&#x27;t match those details to a plan member."


def register(client: Client, member: Member, **details: str):
    """Step 1 and the account step; returns the account step's response."""
    assert prove_membership(client, member).status_code == 302
    return sign_up(client, **details)


# --- Step 1: proving who you are ----------------------------------------------------------------


def test_the_start_page_offers_both_kinds_of_registration(client: Client) -> None:
    html = client.get(reverse("rx_register")).content.decode()

    assert reverse("rx_register_member") in html
    assert reverse("rx_register_business") in html


def test_the_sign_in_page_links_to_registration(client: Client) -> None:
    html = client.get(reverse("account_login")).content.decode()

    assert reverse("rx_register") in html


@pytest.mark.parametrize(
    "typed",
    [
        {},
        {"member_id": " rxp-0000 1234 "},
        {"member_id": "RXP00001234-01"},
        {"member_id": "rxp0000123401"},
        {"first_name": "  DANA "},
        {"last_name": "obrien nunez"},
        {"last_name": "O’BRIEN NÚÑEZ"},
        {"last_name": "O'Brien Nunez"},
        {"zip_code": "06103-1234"},
        {"zip_code": "061031234"},
        {"date_of_birth": "06/15/1980"},
    ],
)
def test_a_match_ignores_case_spacing_punctuation_and_accents(
    client: Client, typed: dict[str, str]
) -> None:
    member = adult_member()

    response = prove_membership(client, member, **typed)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")
    state = client.session[registration.REGISTRATION_SESSION_KEY]
    assert state["member"] == str(member.public_id)
    # Nothing but the record's public id, the kind and the time is kept.
    assert set(state) == {"kind", "member", "at"}


WRONG_FIELDS = [
    {"member_id": "RXP00009999"},
    {"first_name": "Dina"},
    {"last_name": "Brien"},
    {"date_of_birth": "1980-06-16"},
    {"zip_code": "06104"},
]


def test_each_wrong_field_gets_the_same_generic_answer(client: Client) -> None:
    member = adult_member()
    pages = []
    for wrong in WRONG_FIELDS:
        response = prove_membership(Client(), member, **wrong)
        assert response.status_code == 200
        html = response.content.decode()
        assert NO_MATCH in html
        pages.append(comparable(html))

    # Identical but for the CSRF token and the values typed back into the boxes.
    assert all(page == pages[0] for page in pages)
    assert registration.REGISTRATION_SESSION_KEY not in client.session


def test_a_dependent_matches_only_with_their_own_details(client: Client) -> None:
    subscriber = adult_member()
    spouse = DependentFactory(
        subscriber=subscriber, spouse=True, first_name="Sam", date_of_birth=years_ago(40)
    )

    response = prove_membership(client, spouse, member_id=subscriber.member_id)

    assert response.status_code == 302
    assert client.session[registration.REGISTRATION_SESSION_KEY]["member"] == str(spouse.public_id)


def test_two_records_with_the_same_details_match_neither(client: Client) -> None:
    member = adult_member()
    adult_member(client=ClientFactory())

    response = prove_membership(client, member)

    assert response.status_code == 200
    assert NO_MATCH in response.content.decode()


def test_a_minor_is_told_plainly_before_any_record_is_read(client: Client) -> None:
    child = adult_member(date_of_birth=years_ago(16))

    response = prove_membership(client, child)

    html = response.content.decode()
    assert response.status_code == 200
    assert "18 or older" in html
    assert NO_MATCH not in html
    assert registration.REGISTRATION_SESSION_KEY not in client.session
    # The same words for a date of birth that matches nobody: it depends only on what was typed.
    stranger = prove_membership(Client(), child, member_id="RXP99999999")
    assert comparable(stranger.content.decode()) == comparable(html)


def test_failed_matches_are_rate_limited_but_matches_are_not(client: Client) -> None:
    member = adult_member()
    for _ in range(5):
        assert prove_membership(client, member, first_name="Wrong").status_code == 200

    assert prove_membership(client, member, first_name="Wrong").status_code == 429
    assert prove_membership(client, member).status_code == 429


def test_matches_from_one_connection_do_not_use_up_the_limit(client: Client) -> None:
    member = adult_member()
    for _ in range(8):
        assert prove_membership(client, member).status_code == 302


def test_a_failed_match_is_audited_without_phi(client: Client) -> None:
    member = adult_member()

    prove_membership(client, member, zip_code="99999")

    event = AuditEvent.objects.get(action=registration.ACTION_NO_MATCH)
    assert event.subject_id == ""
    assert member.last_name not in str(event.details)
    assert event.details == {}


# --- The account step -----------------------------------------------------------------------


def test_the_account_step_is_closed_without_step_one(client: Client) -> None:
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert reverse("rx_register") in response.content.decode()


def test_the_account_step_closes_when_step_one_is_over_thirty_minutes_old(
    client: Client,
) -> None:
    prove_membership(client, adult_member())
    session = client.session
    session[registration.REGISTRATION_SESSION_KEY]["at"] -= 31 * 60
    session.save()

    response = sign_up(client)

    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not User.objects.exists()


def test_a_member_registers_and_everything_is_saved(client: Client) -> None:
    member = adult_member()

    response = register(client, member, email="Dana.OBrien@Example.ORG")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    # The username defaults to the email address, normalized (lower case).
    assert user.username == "dana.obrien@example.org"
    assert user.email == "dana.obrien@example.org"
    assert user.role == Role.MEMBER
    assert (user.first_name, user.last_name) == (member.first_name, member.last_name)
    member.refresh_from_db()
    assert member.user == user
    assert user.check_password(PASSWORD)
    profile = SecurityProfile.objects.get(user=user)
    assert (profile.sitekey_image, profile.sitekey_phrase) == ("teapot", SITEKEY_PHRASE)
    answers = ChallengeAnswer.objects.filter(user=user)
    assert sorted(a.question for a in answers) == sorted(QUESTIONS)
    assert all(ANSWER not in a.answer_hash for a in answers)
    assert check_challenge_answer(user=user, question=QUESTIONS[0], answer="Blue Heron!")
    assert AuditEvent.objects.filter(action=registration.ACTION_REGISTERED).count() == 1
    # Step 1's note is used up.
    assert registration.REGISTRATION_SESSION_KEY not in client.session


def test_a_typed_username_is_normalized(client: Client) -> None:
    register(client, adult_member(), username="  Dana_R ")

    assert User.objects.get().username == "dana_r"


def test_a_taken_username_gets_the_same_pages_and_only_the_typed_inbox_hears_why() -> None:
    UserFactory(username="dana_r", email="owner@example.org")
    free_pages = _whole_flow(Client(), adult_member(member_id="RXP00005678"), "lee@example.org")
    mail.outbox.clear()

    taken_client = Client()
    prove_membership(taken_client, adult_member())
    taken_form = taken_client.get(reverse("account_signup"))
    done = sign_up(taken_client, email="dana@example.org", username="Dana_R")
    code_page = taken_client.get(done["Location"])
    taken_pages = [
        reverse("account_signup"),
        done["Location"],
        *(comparable(r.content.decode(), "dana@example.org") for r in (taken_form, code_page)),
    ]

    # The same redirect and pages as a free username: the page never says the name exists.
    assert taken_pages[1:] == free_pages[1:]
    assert "taken" not in code_page.content.decode()
    assert User.objects.filter(username="dana_r").count() == 1
    assert not User.objects.filter(email="dana@example.org").exists()
    # The person at the typed address is told, with a way to start again; the owner is not.
    assert [m.to for m in mail.outbox] == [["dana@example.org"]]
    assert "was not created" in mail.outbox[0].subject
    assert reverse("rx_register") in mail.outbox[0].body
    assert "dana_r" not in mail.outbox[0].body
    assert AuditEvent.objects.filter(action=registration.ACTION_USERNAME_UNAVAILABLE).exists()


def test_a_taken_username_and_a_taken_email_send_only_the_account_exists_notice() -> None:
    UserFactory(username="dana_r", email="owner@example.org")
    client = Client()
    prove_membership(client, adult_member())
    sign_up(client, email="owner@example.org", username="dana_r")

    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
    assert "your email address" in mail.outbox[0].subject


def test_earlier_failed_sign_ins_on_the_name_never_block_the_new_owner(client: Client) -> None:
    for _ in range(6):
        lockout.record_sign_in_failure(username="dana_r", request=None, now=clock.now())
    assert LoginThrottle.objects.exists()

    register(client, adult_member(), username="dana_r")

    assert not LoginThrottle.objects.exists()
    assert not lockout.sign_in_gate(username="dana_r", now=clock.now()).blocked


def test_the_email_code_confirms_the_address_and_the_member_must_enrol_a_second_factor(
    client: Client,
) -> None:
    register(client, adult_member())
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dana@example.org"]

    response = enter_code(client, code_in(mail.outbox[0]))

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="dana@example.org").verified
    assert client.session[ENROLMENT_REQUIRED_SESSION_KEY] is True
    dashboard = client.get(reverse("web:dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"] == reverse("mfa_index")
    enrolment = client.get(reverse("mfa_index"))
    assert enrolment.status_code == 200


def test_a_wrong_code_is_refused_and_the_page_explains(client: Client) -> None:
    register(client, adult_member())

    response = enter_code(client, "AAAA-AAAA")

    assert response.status_code == 200
    assert "That code didn" in response.content.decode()
    assert not EmailAddress.objects.get().verified


def test_a_used_code_cannot_be_replayed(client: Client) -> None:
    register(client, adult_member())
    code = code_in(mail.outbox[0])
    enter_code(client, code)
    client.post(reverse("web:logout"))

    response = enter_code(client, code)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")


def test_an_expired_code_starts_over_without_an_error_page(client: Client) -> None:
    register(client, adult_member())
    code = code_in(mail.outbox[0])
    age_the_code(client, 16 * 60)

    response = enter_code(client, code)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert not EmailAddress.objects.get().verified


def test_too_many_wrong_codes_and_starting_again_retires_the_unconfirmed_account(
    client: Client, settings
) -> None:
    # allauth sends one code per address per 10 s; this test does not wait that long.
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "confirm_email": ""}
    member = adult_member()
    register(client, member)
    for _ in range(3):
        enter_code(client, "AAAA-AAAA")
    first = User.objects.get()

    response = register(client, member)

    assert response.status_code == 302
    first.refresh_from_db()
    assert not first.is_active
    assert first.username.startswith("retired-")
    second = User.objects.get(is_active=True)
    assert second.username == "dana@example.org"
    member.refresh_from_db()
    assert member.user == second
    assert mail.outbox[-1].to == ["dana@example.org"]


def test_an_unconfirmed_registration_blocks_nobody_once_its_code_has_expired(
    client: Client,
) -> None:
    member = adult_member()
    register(client, member)
    User.objects.update(date_joined=clock.now() - registration.REGISTRATION_TIMEOUT)

    response = register(Client(), member, email="dana.new@example.org")

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.user is not None
    assert member.user.email == "dana.new@example.org"


# --- Already registered: the same flow, a notice to the owner, no second account --------------


def _whole_flow(client: Client, member: Member, email: str) -> list[str]:
    """Every page the registrant sees, made comparable."""
    start = prove_membership(client, member)
    form = client.get(reverse("account_signup"))
    done = sign_up(client, email=email)
    code_page = client.get(done["Location"])
    pages = [start["Location"], done["Location"]]
    pages += [comparable(r.content.decode(), email) for r in (form, code_page)]
    return pages


def test_an_already_registered_member_sees_exactly_what_a_new_one_sees() -> None:
    owner = UserFactory(username="dana", email="owner@example.org")
    registered = adult_member(user=owner)
    new = adult_member(member_id="RXP00005678", first_name="Lee")

    new_pages = _whole_flow(Client(), new, "lee@example.org")
    mail.outbox.clear()
    taken_pages = _whole_flow(Client(), registered, "someone@example.org")

    assert taken_pages == new_pages
    # No second account; the record keeps its owner; the owner is told, the typed inbox is not.
    assert not User.objects.filter(email="someone@example.org").exists()
    registered.refresh_from_db()
    assert registered.user == owner
    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
    assert "plan member details" in mail.outbox[0].subject
    assert "dana" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action=registration.ACTION_EXISTING_NOTIFIED).exists()


def test_the_code_page_of_an_already_registered_member_accepts_no_code(client: Client) -> None:
    owner = UserFactory(username="dana", email="owner@example.org")
    registered = adult_member(user=owner)
    register(client, registered, email="someone@example.org")

    response = enter_code(client, "AAAA-AAAA")

    assert response.status_code == 200
    assert User.objects.count() == 1


def test_an_already_registered_email_sees_the_same_flow_and_its_owner_is_told() -> None:
    UserFactory(username="robin", email="robin@example.org")
    free = adult_member()
    other = adult_member(member_id="RXP00005678", first_name="Lee")

    new_pages = _whole_flow(Client(), other, "lee@example.org")
    mail.outbox.clear()
    taken_pages = _whole_flow(Client(), free, "robin@example.org")

    assert taken_pages == new_pages
    assert User.objects.filter(email="robin@example.org").count() == 1
    free.refresh_from_db()
    assert free.user is None
    assert [m.to for m in mail.outbox] == [["robin@example.org"]]
    assert "your email address" in mail.outbox[0].subject


def test_a_username_equal_to_a_registered_email_says_nothing_either(client: Client) -> None:
    # An account whose username is this address (and whose email is another one).
    UserFactory(username="robin@example.org", email="robin.work@example.org")

    response = register(client, adult_member(), email="robin@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["robin@example.org"]]


def test_a_record_that_gets_an_account_meanwhile_gives_the_same_answer(client: Client) -> None:
    member = adult_member()
    assert prove_membership(client, member).status_code == 302
    member.user = UserFactory(username="quick", email="quick@example.org")
    member.save()

    response = sign_up(client)

    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["quick@example.org"]]


def test_registration_pages_have_no_inline_script_or_style(client: Client) -> None:
    pages = [client.get(reverse("rx_register")), client.get(reverse("rx_register_member"))]
    prove_membership(client, adult_member())
    pages.append(client.get(reverse("account_signup")))
    pages.append(sign_up(client, password2="different passphrase here ok"))

    for response in pages:
        html = response.content.decode()
        assert "<script" not in html
        assert "style=" not in html and "<style" not in html


def test_every_field_has_a_label(client: Client) -> None:
    prove_membership(client, adult_member())
    html = client.get(reverse("account_signup")).content.decode()

    for name in account_details():
        field_id = f"id_{name}"
        if name == "sitekey_image":
            assert '<label for="id_sitekey_image_0"><img' in html
            assert 'alt="An acorn with a green leaf"' in html
        else:
            assert f'<label for="{field_id}">' in html, name


def test_the_sitekey_picker_offers_every_bundled_image(client: Client) -> None:
    from rxportal.accounts.sitekeys import SITEKEY_IMAGES

    prove_membership(client, adult_member())
    html = client.get(reverse("account_signup")).content.decode()

    assert html.count('name="sitekey_image"') == len(SITEKEY_IMAGES) >= 30


def test_eligibility_form_keeps_what_was_typed(client: Client) -> None:
    member = adult_member()

    html = prove_membership(client, member, zip_code="99999").content.decode()

    for value in eligibility_for(member, zip_code="99999").values():
        assert f'value="{escape(value)}"' in html
