"""Staff console pages: access, lookup, actions, audit, and bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import LoginThrottle, User
from rxportal.accounts.selectors import get_sign_in_status
from rxportal.audit.models import Outcome
from rxportal.members.models import Member
from tests.factories import DependentFactory, MemberFactory
from tests.staff.conftest import USER_AGENT, events, lock, make_user, staff_client

REASON = "Caller verified, ticket 4411"
LOOKUP = {"member_id": "RXP00001234", "date_of_birth": "1980-06-15", "zip_code": "06103"}


def _html(response: Any) -> str:
    return response.content.decode()


def _pages(member: Member, user: User) -> list[str]:
    return [
        reverse("staff:home"),
        reverse("staff:member_lookup"),
        reverse("staff:member_detail", args=[member.public_id]),
        reverse("staff:user_search"),
        reverse("staff:user_detail", args=[user.public_id]),
    ]


def _verified_client(agent: User, member: Member) -> Client:
    client = staff_client(agent)
    response = client.post(
        reverse("staff:member_lookup"),
        {**LOOKUP, "member_id": member.member_id, "zip_code": member.zip_code},
    )
    assert response.status_code == 302
    return client


# --- Access ------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, member: Member, member_account: User
) -> None:
    for url in _pages(member, member_account):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("role", ["member", "client", "advisor"])
def test_non_staff_get_403_and_the_attempt_is_audited(
    member: Member, member_account: User, role: str
) -> None:
    client = staff_client(make_user(f"someone.{role}", role))

    for url in _pages(member, member_account):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Not available to your role" in _html(response)
        assert "Jordan" not in _html(response)

    denied = events("staff.access.denied")
    assert len(denied) == 5
    assert {e.outcome for e in denied} == {Outcome.DENIED}
    assert denied[0].user_agent == USER_AGENT
    assert denied[0].details == {"view": "staff:home"}


def test_service_center_cannot_use_the_account_team_pages(
    service_agent: User, member_account: User
) -> None:
    client = staff_client(service_agent)

    assert client.get(reverse("staff:user_search")).status_code == 403
    detail = reverse("staff:user_detail", args=[member_account.public_id])
    assert client.get(detail).status_code == 403
    response = client.post(
        detail, {"action": "username", "username-new_username": "x.y", "username-reason": REASON}
    )
    assert response.status_code == 403
    member_account.refresh_from_db()
    assert member_account.username == "jordan.smith"


def test_account_team_cannot_use_the_caller_lookup(account_agent: User) -> None:
    response = staff_client(account_agent).post(reverse("staff:member_lookup"), LOOKUP)

    assert response.status_code == 403
    assert events("phi.staff.member.lookup") == []


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("service_center", "staff:member_lookup", "staff:user_search"),
        ("account_team", "staff:user_search", "staff:member_lookup"),
    ],
)
def test_console_home_lists_what_the_role_can_do(
    db: None, role: str, shown: str, hidden: str
) -> None:
    response = staff_client(make_user("agent", role)).get(reverse("staff:home"))

    assert response.status_code == 200
    assert reverse(shown) in _html(response)
    assert reverse(hidden) not in _html(response)
    assert "no-store" in response["Cache-Control"]


def test_admins_see_every_tool(admin_user: User) -> None:
    html = _html(staff_client(admin_user).get(reverse("staff:home")))

    assert reverse("staff:member_lookup") in html
    assert reverse("staff:user_search") in html


def test_posts_need_a_csrf_token(service_agent: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(service_agent)

    response = client.post(reverse("staff:member_lookup"), LOOKUP)

    assert response.status_code == 403
    assert events("phi.staff.member.lookup") == []


# --- Service center: caller lookup -------------------------------------------------------------


@pytest.mark.parametrize(
    ("member_id", "zip_code"),
    [
        ("RXP00001234", "06103"),
        ("rxp00001234", "06103-7788"),
        (" rxp 0000-1234 ", "061037788"),
        ("RXP00001234-01", " 06103 "),
    ],
)
def test_lookup_finds_the_member_and_shows_a_masked_username(
    service_agent: User, member: Member, member_id: str, zip_code: str
) -> None:
    client = staff_client(service_agent)

    response = client.post(
        reverse("staff:member_lookup"), {**LOOKUP, "member_id": member_id, "zip_code": zip_code}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:member_detail", args=[member.public_id])
    html = _html(client.get(response["Location"]))
    assert "Jordan Smith" in html
    assert "RXP00001234-01" in html
    assert "j•••••h" in html
    assert "jordan.smith" not in html  # neither the username nor the email in clear
    assert "Not locked" in html
    [lookup] = events("phi.staff.member.lookup")
    assert lookup.outcome == Outcome.SUCCESS
    assert lookup.subject_id == str(member.public_id)
    assert lookup.details == {"edge": "web", "matches": 1}
    assert events("phi.staff.member.viewed")[0].subject_id == str(member.public_id)


def test_lookup_accepts_a_us_style_date(service_agent: User, member: Member) -> None:
    response = staff_client(service_agent).post(
        reverse("staff:member_lookup"), {**LOOKUP, "date_of_birth": "06/15/1980"}
    )

    assert response.status_code == 302


def test_lookup_without_a_match_says_so_and_is_audited(service_agent: User, member: Member) -> None:
    response = staff_client(service_agent).post(
        reverse("staff:member_lookup"), {**LOOKUP, "zip_code": "06104"}
    )

    assert response.status_code == 200
    html = _html(response)
    assert "No member matches those details." in html
    assert 'value="RXP00001234"' in html  # what was typed is kept
    assert 'value="06104"' in html
    [lookup] = events("phi.staff.member.lookup")
    assert lookup.outcome == Outcome.FAILURE
    assert lookup.details == {"edge": "web", "matches": 0}


def test_twins_on_one_card_are_both_listed(service_agent: User, member: Member) -> None:
    first = DependentFactory(subscriber=member, first_name="Ana")
    second = DependentFactory(
        subscriber=member, first_name="Eva", date_of_birth=first.date_of_birth
    )

    response = staff_client(service_agent).post(
        reverse("staff:member_lookup"),
        {**LOOKUP, "date_of_birth": first.date_of_birth.isoformat()},
    )

    assert response.status_code == 200
    html = _html(response)
    assert reverse("staff:member_detail", args=[first.public_id]) in html
    assert reverse("staff:member_detail", args=[second.public_id]) in html


def test_member_page_needs_a_verified_caller(service_agent: User, member: Member) -> None:
    response = staff_client(service_agent).get(
        reverse("staff:member_detail", args=[member.public_id])
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:member_lookup")
    assert events("phi.staff.member.viewed") == []


def test_member_page_shows_the_lock(service_agent: User, member: Member) -> None:
    lock("jordan.smith")
    client = _verified_client(service_agent, member)

    html = _html(client.get(reverse("staff:member_detail", args=[member.public_id])))

    assert "Locked until" in html
    assert "5 failed tries in a row." in html


def test_service_center_unlocks_a_verified_caller(service_agent: User, member: Member) -> None:
    lock("jordan.smith")
    client = _verified_client(service_agent, member)
    url = reverse("staff:member_detail", args=[member.public_id])

    response = client.post(url, {"action": "unlock", "unlock-reason": REASON}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "Sign-in is unlocked" in _html(response)
    assert not LoginThrottle.objects.exists()
    assert not get_sign_in_status(username="jordan.smith").locked
    [event] = events("staff.account.unlocked")
    assert (event.outcome, event.reason, event.actor_id) == (
        Outcome.SUCCESS,
        REASON,
        service_agent.pk,
    )
    assert event.subject_id == str(member.public_id)
    assert event.ip_address == "203.0.113.9"
    assert event.user_agent == USER_AGENT


def test_unlock_needs_a_reason(service_agent: User, member: Member) -> None:
    lock("jordan.smith")
    client = _verified_client(service_agent, member)

    response = client.post(
        reverse("staff:member_detail", args=[member.public_id]),
        {"action": "unlock", "unlock-reason": "   "},
    )

    assert response.status_code == 200
    assert "This field is required." in _html(response)
    assert 'aria-invalid="true"' in _html(response)
    assert get_sign_in_status(username="jordan.smith").locked


def test_username_reminder_goes_to_the_inbox_and_is_masked_on_screen(
    service_agent: User, member: Member, django_capture_on_commit_callbacks: Any
) -> None:
    client = _verified_client(service_agent, member)
    url = reverse("staff:member_detail", args=[member.public_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "reminder", "reminder-reason": REASON})
    page = _html(client.get(url))

    assert response.status_code == 302
    [reminder] = mail.outbox
    assert reminder.to == ["jordan.smith@example.org"]
    assert "jordan.smith" in reminder.body
    assert "j•••••h@e•••••e.org" in page
    assert "jordan.smith" not in page
    [event] = events("staff.username.reminder_sent")
    assert event.reason == REASON


def test_member_without_an_account_gets_no_actions(service_agent: User) -> None:
    member = MemberFactory(member_id="RXP00009999", zip_code="06103")
    client = staff_client(service_agent)
    client.post(reverse("staff:member_lookup"), {**LOOKUP, "member_id": "RXP00009999"})
    url = reverse("staff:member_detail", args=[member.public_id])

    html = _html(client.get(url))
    response = client.post(url, {"action": "reminder", "reminder-reason": REASON})

    assert "no online account" in html
    assert 'value="reminder"' not in html
    assert response.status_code == 200
    assert "This member has no online account." in _html(response)
    assert mail.outbox == []


def test_unknown_member_page_is_404(service_agent: User, member: Member) -> None:
    client = _verified_client(service_agent, member)
    missing = uuid.uuid4()
    session = client.session
    session["rx_staff_verified_members"][str(missing)] = session["rx_staff_verified_members"][
        str(member.public_id)
    ]
    session.save()

    assert client.get(reverse("staff:member_detail", args=[missing])).status_code == 404


def test_an_unknown_action_is_a_400(service_agent: User, member: Member) -> None:
    client = _verified_client(service_agent, member)

    response = client.post(
        reverse("staff:member_detail", args=[member.public_id]), {"action": "delete"}
    )

    assert response.status_code == 400


# --- Account team ------------------------------------------------------------------------------


def test_account_team_finds_an_account_by_prefix(account_agent: User, member_account: User) -> None:
    client = staff_client(account_agent)

    response = client.post(reverse("staff:user_search"), {"q": "JORDAN.S"})

    assert response.status_code == 200
    assert reverse("staff:user_detail", args=[member_account.public_id]) in _html(response)
    [event] = events("staff.user.searched")
    assert event.details == {"results": 1}


def test_account_team_changes_a_username(
    account_agent: User, member_account: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = staff_client(account_agent)
    url = reverse("staff:user_detail", args=[member_account.public_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"action": "username", "username-new_username": "Jordan.S", "username-reason": REASON},
        )

    assert response.status_code == 302
    member_account.refresh_from_db()
    assert member_account.username == "jordan.s"
    [notice] = mail.outbox
    assert notice.to == ["jordan.smith@example.org"]
    [event] = events("staff.username.changed")
    assert (event.outcome, event.reason, event.actor_id) == (
        Outcome.SUCCESS,
        REASON,
        account_agent.pk,
    )
    assert event.ip_address == "203.0.113.9"
    assert "Username changed" in _html(client.get(url))


def test_username_taken_in_another_case_is_shown_on_the_form(
    account_agent: User, member_account: User
) -> None:
    make_user("Casey.Taken", "member")

    response = staff_client(account_agent).post(
        reverse("staff:user_detail", args=[member_account.public_id]),
        {"action": "username", "username-new_username": "CASEY.TAKEN", "username-reason": REASON},
    )

    assert response.status_code == 200
    html = _html(response)
    assert "Another account already has that username." in html
    assert 'value="CASEY.TAKEN"' in html
    assert REASON in html
    member_account.refresh_from_db()
    assert member_account.username == "jordan.smith"


def test_username_change_needs_a_reason(account_agent: User, member_account: User) -> None:
    response = staff_client(account_agent).post(
        reverse("staff:user_detail", args=[member_account.public_id]),
        {"action": "username", "username-new_username": "jordan.s", "username-reason": ""},
    )

    assert response.status_code == 200
    assert "This field is required." in _html(response)
    member_account.refresh_from_db()
    assert member_account.username == "jordan.smith"


def test_account_team_changes_an_email_and_both_addresses_hear(
    account_agent: User, member_account: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client(account_agent).post(
            reverse("staff:user_detail", args=[member_account.public_id]),
            {"action": "email", "email-new_email": "jordan@example.net", "email-reason": REASON},
        )

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == [
        "jordan.smith@example.org",
        "jordan@example.net",
    ]
    [event] = events("staff.email.changed")
    assert event.reason == REASON


def test_account_team_sees_staff_accounts_without_change_forms(
    account_agent: User, admin_user: User
) -> None:
    client = staff_client(account_agent)
    url = reverse("staff:user_detail", args=[admin_user.public_id])

    html = _html(client.get(url))
    response = client.post(
        url, {"action": "email", "email-new_email": "me@example.org", "email-reason": REASON}
    )

    assert "Only an administrator can change a staff account." in html
    assert 'value="email"' not in html
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.email == "ada.admin@example.org"
    assert events("staff.email.changed")[0].outcome == Outcome.DENIED


def test_account_team_unlocks_from_the_account_page(
    account_agent: User, member_account: User
) -> None:
    lock("jordan.smith")

    response = staff_client(account_agent).post(
        reverse("staff:user_detail", args=[member_account.public_id]),
        {"action": "unlock", "unlock-reason": REASON},
    )

    assert response.status_code == 302
    assert not get_sign_in_status(username="jordan.smith").locked


# --- Bad input: an error on the page, never a 500 ----------------------------------------------

BAD_VALUES = ["x" * 10_000, "\x00", "nul\x00in the middle", "😀", "‮evil‬", "ＲＸＰ\u200b"]


@pytest.mark.parametrize("bad", BAD_VALUES)
@pytest.mark.parametrize("field", ["member_id", "date_of_birth", "zip_code"])
def test_lookup_survives_bad_input(
    service_agent: User, member: Member, field: str, bad: str
) -> None:
    response = staff_client(service_agent).post(
        reverse("staff:member_lookup"), {**LOOKUP, field: bad}
    )

    assert response.status_code == 200
    assert "field__error" in _html(response) or "No member matches" in _html(response)


def test_lookup_with_missing_fields(service_agent: User) -> None:
    response = staff_client(service_agent).post(reverse("staff:member_lookup"), {})

    assert response.status_code == 200
    assert _html(response).count("This field is required.") == 3


@pytest.mark.parametrize("bad", BAD_VALUES)
@pytest.mark.parametrize(
    ("action", "field"),
    [
        ("username", "username-new_username"),
        ("username", "username-reason"),
        ("email", "email-new_email"),
        ("email", "email-reason"),
        ("unlock", "unlock-reason"),
    ],
)
def test_account_forms_survive_bad_input(
    account_agent: User, member_account: User, action: str, field: str, bad: str
) -> None:
    data = {
        "action": action,
        "username-new_username": "jordan.s",
        "username-reason": REASON,
        "email-new_email": "jordan@example.net",
        "email-reason": REASON,
        "unlock-reason": REASON,
        field: bad,
    }

    response = staff_client(account_agent).post(
        reverse("staff:user_detail", args=[member_account.public_id]), data
    )

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "field__error" in _html(response)
    else:  # only a reason with odd (but storable) Unicode is accepted
        assert field.endswith("reason")
        assert bad in {"😀", "ＲＸＰ\u200b"}


@pytest.mark.parametrize("bad", BAD_VALUES)
def test_member_actions_survive_bad_input(service_agent: User, member: Member, bad: str) -> None:
    client = _verified_client(service_agent, member)

    response = client.post(
        reverse("staff:member_detail", args=[member.public_id]),
        {"action": "reminder", "reminder-reason": bad},
    )

    if bad in {"😀", "ＲＸＰ\u200b"}:
        assert response.status_code == 302
    else:
        assert response.status_code == 200
        assert "field__error" in _html(response)


@pytest.mark.parametrize("bad", BAD_VALUES)
def test_user_search_survives_bad_input(account_agent: User, bad: str) -> None:
    response = staff_client(account_agent).post(reverse("staff:user_search"), {"q": bad})

    assert response.status_code == 200


def test_a_reason_with_null_bytes_never_reaches_the_audit_trail(
    account_agent: User, member_account: User
) -> None:
    response = staff_client(account_agent).post(
        reverse("staff:user_detail", args=[member_account.public_id]),
        {"action": "unlock", "unlock-reason": "ok\x00"},
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in _html(response)
    assert events("staff.account.unlocked") == []


# --- A record shown again after a refused action is a view too ---------------------------------


@pytest.mark.parametrize(
    ("data", "status"),
    [({"action": "unlock", "unlock-reason": "   "}, 200), ({"action": "delete"}, 400)],
)
def test_the_member_page_shown_again_after_a_post_is_audited_as_a_view(
    service_agent: User, member: Member, data: dict[str, str], status: int
) -> None:
    client = _verified_client(service_agent, member)

    response = client.post(reverse("staff:member_detail", args=[member.public_id]), data)

    assert response.status_code == status
    assert member.full_name in _html(response)
    [viewed] = events("phi.staff.member.viewed")
    assert (viewed.actor_id, viewed.subject_id) == (service_agent.pk, str(member.public_id))


def test_an_action_that_succeeds_records_one_view_of_the_page_it_returns_to(
    service_agent: User, member: Member
) -> None:
    client = _verified_client(service_agent, member)
    url = reverse("staff:member_detail", args=[member.public_id])

    response = client.post(url, {"action": "unlock", "unlock-reason": REASON}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert len(events("phi.staff.member.viewed")) == 1


@pytest.mark.parametrize(
    ("data", "status"),
    [({"action": "username", "username-new_username": "x", "username-reason": ""}, 200),
     ({"action": "nothing"}, 400)],
)  # fmt: skip
def test_the_account_page_shown_again_after_a_post_is_audited_as_a_view(
    account_agent: User, member_account: User, data: dict[str, str], status: int
) -> None:
    response = staff_client(account_agent).post(
        reverse("staff:user_detail", args=[member_account.public_id]), data
    )

    assert response.status_code == status
    assert "jordan.smith@example.org" in _html(response)
    [viewed] = events("staff.user.viewed")
    assert (viewed.actor_id, viewed.subject_id) == (account_agent.pk, str(member_account.public_id))
