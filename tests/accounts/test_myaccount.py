"""My Account: the hub, password, security questions, SiteKey, sessions, devices, activity."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import reverse

from rxportal.accounts import activity_selectors
from rxportal.accounts.models import ChallengeAnswer, RecognizedDevice, SecurityProfile
from rxportal.accounts.services.challenges import check_challenge_answer
from rxportal.audit.models import AuditEvent
from rxportal.audit.services import record_event
from tests.accounts.test_signin_support import (
    ANSWER,
    enter_password,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    is_question_page,
    make_user,
)
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def sign_in(client: Client, username: str = "dana", password: str = DEFAULT_PASSWORD) -> None:
    """Username, challenge question (unrecognized browser) and password (clients: no second
    factor needed)."""
    enter_username(client, username)
    enter_password(client, password)
    assert "_auth_user_id" in client.session


def reauthenticate(client: Client, url: str):
    """GET ``url``, which sends us to allauth's password check; confirm; return the page."""
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    confirmed = client.post(response["Location"], {"password": DEFAULT_PASSWORD})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == url
    return client.get(url)


# --- Access ---------------------------------------------------------------------------------

PAGES = [
    "rx_myaccount",
    "rx_myaccount_password",
    "rx_myaccount_challenges",
    "rx_myaccount_sitekey",
    "rx_myaccount_sms",
    "rx_myaccount_recovery_codes",
]


@pytest.mark.parametrize("name", PAGES)
def test_every_my_account_page_requires_sign_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "url",
    [
        reverse("rx_myaccount_end_other_sessions"),
        reverse("rx_myaccount_recovery_codes"),
        reverse("rx_myaccount_recovery_codes_download"),
        reverse("rx_myaccount_forget_device", args=["00000000-0000-0000-0000-000000000000"]),
    ],
)
def test_my_account_actions_refuse_anonymous_posts(client: Client, url: str) -> None:
    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "name", ["rx_myaccount_challenges", "rx_myaccount_sitekey", "rx_myaccount_sms"]
)
def test_changing_how_you_sign_in_asks_for_the_password_again(
    client: Client, name: str, settings
) -> None:
    settings.RXPORTAL_SMS_GATEWAY = "rxportal.accounts.gateways.FakeSmsGateway"
    user = make_user(username="dana", role="client")
    client.force_login(user)

    page = reauthenticate(client, reverse(name))

    assert page.status_code == 200


def test_the_hub_shows_every_section_and_no_username_change(client: Client) -> None:
    make_user(username="dana", role="client")
    sign_in(client)

    page = client.get(reverse("rx_myaccount"))

    html = html_of(page)
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    for heading in (
        "Sign-in details",
        "Two-step sign-in",
        "Where you are signed in",
        "Remembered browsers",
        "Recent sign-in activity",
    ):
        assert heading in html
    assert "You cannot change your username or email address here" in html
    assert "Morning tea by the lake" in html  # the SiteKey, shown to its owner
    assert client.get("/my-account/username/").status_code == 404


def test_the_hub_stays_within_a_query_budget(client: Client, django_assert_max_num_queries) -> None:
    make_user(username="dana", role="client")
    sign_in(client)

    with django_assert_max_num_queries(40):
        response = client.get(reverse("rx_myaccount"))

    assert response.status_code == 200


# --- Password -------------------------------------------------------------------------------


def test_the_password_change_needs_the_current_password(client: Client) -> None:
    user = make_user(username="dana", role="client")
    sign_in(client)
    new = "a brand new passphrase for rxportal"

    wrong = client.post(
        reverse("rx_myaccount_password"),
        {"oldpassword": "not-my-password", "password1": new, "password2": new},
    )
    right = client.post(
        reverse("rx_myaccount_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": new, "password2": new},
    )

    assert wrong.status_code == 200
    assert "Your password was not changed" in html_of(wrong)
    assert new not in html_of(wrong)  # secrets are never written back
    assert right.status_code == 302, re.findall(
        r'class="[^"]*error[^"]*"[^>]*>([^<]+)', html_of(right)
    )
    assert right["Location"] == reverse("rx_myaccount")
    user.refresh_from_db()
    assert check_password(new, user.password)
    assert "_auth_user_id" in client.session  # still signed in here
    assert AuditEvent.objects.filter(action="account.password.changed", actor=user).count() == 1


def test_allauths_password_change_page_leads_to_ours(client: Client) -> None:
    response = client.get("/accounts/password/change/")

    assert response.status_code == 302
    assert response["Location"] == reverse("rx_myaccount_password")


@pytest.mark.parametrize(
    "new",
    ["short", "x" * 5000, "abc\x00defghijklmnopqrstu", ""],
    ids=["too-short", "overlong", "null-byte", "missing"],
)
def test_a_bad_new_password_is_explained(client: Client, new: str) -> None:
    make_user(username="dana", role="client")
    sign_in(client)

    response = client.post(
        reverse("rx_myaccount_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": new, "password2": new},
    )

    assert response.status_code == 200
    assert 'class="field__error"' in html_of(response)


# --- Security questions -------------------------------------------------------------------


def _questions(*slugs_and_answers: tuple[str, str]) -> dict[str, str]:
    data = {}
    for index, (slug, answer) in enumerate(slugs_and_answers, start=1):
        data[f"question_{index}"] = slug
        data[f"answer_{index}"] = answer
    return data


def test_new_security_answers_are_saved_hashed_and_audited(client: Client) -> None:
    user = make_user(username="dana", role="client")
    client.force_login(user)
    reauthenticate(client, reverse("rx_myaccount_challenges"))

    response = client.post(
        reverse("rx_myaccount_challenges"),
        _questions(("dream-job", "Astronaut!"), ("first-movie", "Jaws"), ("first-pet", "Rex")),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("rx_myaccount")
    rows = ChallengeAnswer.objects.filter(user=user)
    assert sorted(rows.values_list("question", flat=True)) == [
        "dream-job",
        "first-movie",
        "first-pet",
    ]
    assert all("Astronaut" not in row.answer_hash for row in rows)
    assert check_challenge_answer(user=user, question="dream-job", answer="astronaut")
    event = AuditEvent.objects.filter(action="account.challenges.changed", actor=user).first()
    assert event.details == {"questions": ["dream-job", "first-movie", "first-pet"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _questions(("dream-job", "Astronaut"), ("dream-job", "Pilot"), ("first-pet", "Rex")),
            "Choose a question you have not chosen above.",
        ),
        (
            _questions(("dream-job", "A!"), ("first-movie", "Jaws"), ("first-pet", "Rex")),
            "Use at least 3 letters or digits.",
        ),
        (
            _questions(("dream-job", "x" * 500), ("first-movie", "Jaws"), ("first-pet", "Rex")),
            "at most 200 characters",
        ),
        (
            _questions(("dream-job", "Astro\x00naut"), ("first-movie", "Jaws"), ("first-pet", "R")),
            "Null characters are not allowed.",
        ),
        (
            _questions(("no-such-question", "Astronaut"), ("first-movie", "J"), ("first-pet", "R")),
            "Select a valid choice.",
        ),
        ({"question_1": "dream-job"}, "This field is required."),
        (
            _questions(("dream-job", "🙂🙂🙂🙂"), ("first-movie", "Jaws"), ("first-pet", "Rex")),
            "Use at least 3 letters or digits.",
        ),
    ],
    ids=[
        "duplicate",
        "too-short",
        "overlong",
        "null-byte",
        "unknown-question",
        "missing",
        "emoji-only",
    ],
)
def test_bad_security_answers_are_explained_and_questions_kept(
    client: Client, data: dict[str, str], message: str
) -> None:
    user = make_user(username="dana", role="client")
    client.force_login(user)
    reauthenticate(client, reverse("rx_myaccount_challenges"))

    response = client.post(reverse("rx_myaccount_challenges"), data)

    html = html_of(response)
    assert response.status_code == 200
    assert message in html
    assert "Your questions were not saved" in html
    if data.get("question_1") == "dream-job":
        assert '<option value="dream-job" selected>' in html  # the choice is kept
    assert "Astronaut" not in html  # answers are not written back
    assert ChallengeAnswer.objects.filter(user=user).count() == 3  # the old ones stay
    # Only the answers set up by make_user were ever recorded.
    assert AuditEvent.objects.filter(action="account.challenges.changed", actor=user).count() == 1


# --- SiteKey -------------------------------------------------------------------------------


def test_a_new_sitekey_is_saved_and_audited(client: Client) -> None:
    user = make_user(username="dana", role="client")
    client.force_login(user)
    page = reauthenticate(client, reverse("rx_myaccount_sitekey"))
    assert 'value="teapot" id="id_image_' in html_of(page)

    response = client.post(
        reverse("rx_myaccount_sitekey"), {"image": "owl", "phrase": "  Owls at dusk  "}
    )

    assert response.status_code == 302
    profile = SecurityProfile.objects.get(user=user)
    assert (profile.sitekey_image, profile.sitekey_phrase) == ("owl", "Owls at dusk")
    assert AuditEvent.objects.filter(action="account.sitekey.changed", actor=user).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"image": "owl", "phrase": "ab"}, "between 3 and 60 characters"),
        ({"image": "owl", "phrase": "y" * 1000}, "at most 180 characters"),
        ({"image": "owl", "phrase": "Owls\u202eat dusk"}, "characters that cannot be shown"),
        ({"image": "owl", "phrase": "Owls\x00"}, "Null characters are not allowed."),
        ({"image": "not-an-image", "phrase": "Owls at dusk"}, "Select a valid choice."),
        ({"phrase": "Owls at dusk"}, "Choose a picture."),
    ],
    ids=["too-short", "overlong", "bidi-override", "null-byte", "unknown-image", "no-image"],
)
def test_a_bad_sitekey_is_explained_and_kept(
    client: Client, data: dict[str, str], message: str
) -> None:
    user = make_user(username="dana", role="client")
    client.force_login(user)
    reauthenticate(client, reverse("rx_myaccount_sitekey"))

    response = client.post(reverse("rx_myaccount_sitekey"), data)

    html = html_of(response)
    assert response.status_code == 200
    assert message in html
    if data["phrase"] == "Owls at dusk":
        assert 'value="Owls at dusk"' in html
    assert SecurityProfile.objects.get(user=user).sitekey_image == "teapot"


# --- Sessions -------------------------------------------------------------------------------


def test_sign_out_everywhere_else_ends_the_other_sessions(settings) -> None:
    user = make_user(username="dana", role="client")
    here, elsewhere = Client(), Client(HTTP_USER_AGENT=FIREFOX_ON_LINUX)
    sign_in(here)
    sign_in(elsewhere)
    hub = html_of(here.get(reverse("rx_myaccount")))
    assert "Firefox on Linux" in hub
    assert "This browser" in hub

    response = here.post(reverse("rx_myaccount_end_other_sessions"))

    assert response.status_code == 302
    assert here.get(reverse("rx_myaccount")).status_code == 200
    assert elsewhere.get(reverse("rx_myaccount")).status_code == 302
    assert "_auth_user_id" not in elsewhere.session
    event = AuditEvent.objects.get(action="auth.sessions.others_ended")
    assert event.actor == user
    assert event.details == {"count": 1}


def test_allauths_session_list_is_in_our_layout(client: Client) -> None:
    make_user(username="dana", role="client")
    sign_in(client)

    page = client.get(reverse("usersessions_list"))

    assert page.status_code == 200
    assert "Where you are signed in" in html_of(page)
    assert "A private or local network" in html_of(page)


# --- Devices --------------------------------------------------------------------------------


def test_forgetting_a_browser_brings_the_new_device_check_back(client: Client) -> None:
    user = make_user(username="dana", role="client")
    sign_in(client)
    device = RecognizedDevice.objects.get(user=user)
    assert "This browser" in html_of(client.get(reverse("rx_myaccount")))

    response = client.post(reverse("rx_myaccount_forget_device", args=[device.public_id]))
    client.post(reverse("web:logout"))
    again = enter_username(client, "dana", question="stop")

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert AuditEvent.objects.filter(action="auth.device.revoked", actor=user).count() == 1
    assert is_question_page(again)  # the username POST answers with the question itself


def test_another_users_device_cannot_be_forgotten(client: Client) -> None:
    make_user(username="dana", role="client")
    eve = make_user(username="eve", role="client")
    other = Client()
    sign_in(other, "eve")
    device = RecognizedDevice.objects.get(user=eve)
    sign_in(client)

    response = client.post(reverse("rx_myaccount_forget_device", args=[device.public_id]))

    assert response.status_code == 404
    device.refresh_from_db()
    assert device.revoked_at is None


# --- Sign-in activity -----------------------------------------------------------------------


def test_sign_in_activity_lists_this_users_successes_and_failures_only() -> None:
    dana = make_user(username="dana", role="client")
    make_user(username="eve", role="client")
    dana_browser = Client(HTTP_USER_AGENT=CHROME_ON_WINDOWS)
    eve_browser = Client(HTTP_USER_AGENT=FIREFOX_ON_LINUX)
    enter_username(dana_browser, "Dana")
    assert enter_password(dana_browser, "wrong password").status_code == 200
    enter_username(eve_browser, "eve")
    enter_password(eve_browser, "wrong password for eve")
    sign_in(eve_browser, "eve")
    sign_in(dana_browser)

    activity = activity_selectors.list_sign_in_activity(viewer=dana)
    page = html_of(dana_browser.get(reverse("rx_myaccount")))

    assert [(item.succeeded, item.description) for item in activity] == [
        (True, "Signed in"),
        (False, "Wrong username or password"),
    ]
    assert {item.device for item in activity} == {"Chrome on Windows"}
    assert all(item.place.private for item in activity)  # the test client is 127.0.0.1
    assert "Firefox on Linux" not in page
    assert "Wrong username or password" in page


def test_failed_later_steps_show_in_the_activity(client: Client) -> None:
    dana = make_user(username="dana", role="client")
    enter_username(client, "dana", answer="not the answer")

    activity = activity_selectors.list_sign_in_activity(viewer=dana)

    assert [(item.succeeded, item.description) for item in activity] == [
        (False, "New-device check not passed")
    ]


def test_public_addresses_are_shown_only_as_their_network() -> None:
    dana = make_user(username="dana", role="client")
    record_event(
        action="auth.login.succeeded",
        outcome="success",
        actor=dana,
        subject=dana,
        ip_address="203.0.113.77",
        user_agent=FIREFOX_ON_LINUX,
    )

    (item,) = activity_selectors.list_sign_in_activity(viewer=dana)

    assert item.place.label == "Network 203.0.113.0/24"
    assert item.place.note == "Approximate place unavailable"


@pytest.mark.parametrize(
    ("ip", "network", "private"),
    [
        ("203.0.113.77", "203.0.113.0/24", False),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48", False),
        ("::ffff:198.51.100.9", "198.51.100.0/24", False),
        ("10.1.2.3", "", True),
        ("192.168.0.10", "", True),
        ("127.0.0.1", "", True),
        ("::1", "", True),
        ("fe80::1%eth0", "", True),
        ("not an address", "", False),
        (None, "", False),
    ],
)
def test_compute_network_hint(ip: str | None, network: str, private: bool) -> None:
    hint = activity_selectors.compute_network_hint(ip)

    assert (hint.network, hint.private) == (network, private)


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (CHROME_ON_WINDOWS, "Chrome on Windows"),
        (FIREFOX_ON_LINUX, "Firefox on Linux"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_compute_device_summary(user_agent: str, summary: str) -> None:
    assert activity_selectors.compute_device_summary(user_agent) == summary


def test_the_overview_lists_factors_and_questions() -> None:
    dana = make_user(username="dana", totp=True)

    overview = activity_selectors.get_security_overview(viewer=dana)

    assert overview.has_totp
    assert overview.passkey_count == 0
    assert overview.recovery_codes_left == 0
    assert overview.sitekey_phrase == "Morning tea by the lake"
    assert len(overview.challenge_questions) == 3
    assert ANSWER not in str(overview)
