"""Sign-in before the password: username, question (unrecognized browsers), SiteKey and password.

The question step itself is tested in test_signin_question.py.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.accounts.services.signin import IDENTIFIED_USERNAME_SESSION_KEY
from tests.accounts.test_signin_support import (
    GENERIC_ERROR,
    SITEKEY_PHRASE,
    enter_password,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    is_question_page,
    make_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def test_step_one_asks_only_for_the_username(client: Client) -> None:
    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    assert "accounts/identify.html" in [t.name for t in response.templates]
    html = html_of(response)
    assert 'name="username"' in html
    assert 'name="password"' not in html
    assert 'autocomplete="username"' in html
    assert "no-store" in response["Cache-Control"]


def test_step_one_remembers_the_normalized_username_and_moves_to_the_question(
    client: Client,
) -> None:
    response = enter_username(client, "  Dana  ", question="stop")

    assert is_question_page(response)
    stored = client.session[IDENTIFIED_USERNAME_SESSION_KEY]
    assert stored["typed"] == "Dana"
    assert stored["normalized"] == "dana"


def test_next_is_carried_from_step_one_through_the_question_to_the_password_step(
    client: Client,
) -> None:
    make_user(username="dana")
    response = client.post(
        reverse("account_login") + "?next=/dashboard/", {"username": "dana", "next": "/dashboard/"}
    )
    page = html_of(response)
    answered = client.post(
        reverse("rx_login_question"),
        {"action": "answer", "answer": "blue heron", "next": "/dashboard/"},
    )

    assert is_question_page(response)
    assert f'data-step-url="{reverse("rx_login_question")}?next=%2Fdashboard%2F"' in page
    assert '<input type="hidden" name="next" value="/dashboard/">' in page
    assert answered["Location"] == f"{reverse('rx_login_password')}?next=%2Fdashboard%2F"


def test_an_offsite_next_is_dropped(client: Client) -> None:
    response = client.post(
        reverse("account_login"), {"username": "dana", "next": "https://evil.example/"}
    )

    assert is_question_page(response)
    assert "evil.example" not in html_of(response)


def test_the_password_step_without_a_username_goes_back_to_step_one(client: Client) -> None:
    response = client.get(reverse("rx_login_password") + "?next=/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fdashboard%2F"


def test_a_posted_username_cannot_replace_the_one_from_step_one(client: Client) -> None:
    dana = make_user(username="dana")
    dana.set_password("Only-Danas-Passphrase-2026")
    dana.save()
    make_user(username="eve")
    enter_username(client, "eve")

    response = enter_password(client, "Only-Danas-Passphrase-2026", login="dana")

    assert response.status_code == 200
    assert GENERIC_ERROR in html_of(response)


def test_remember_my_username_sets_a_signed_http_only_cookie_that_prefills_step_one(
    client: Client, settings
) -> None:
    response = enter_username(client, "Dana", question="stop", remember="on")

    cookie = response.cookies[settings.RXPORTAL_USERNAME_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie.value.startswith("Dana:")  # signed, not bare
    html = html_of(client.get(reverse("account_login")))
    assert 'value="Dana"' in html
    assert re.search(r'<input type="checkbox" name="remember"[^>]* checked', html)


def test_a_tampered_remembered_username_is_ignored(client: Client, settings) -> None:
    client.cookies[settings.RXPORTAL_USERNAME_COOKIE_NAME] = "mallory:forged:signature"

    html = html_of(client.get(reverse("account_login")))

    assert "mallory" not in html


def test_without_remember_the_cookie_is_removed(client: Client, settings) -> None:
    enter_username(client, "Dana", question="stop", remember="on")

    response = enter_username(client, "Dana", question="stop")

    assert response.cookies[settings.RXPORTAL_USERNAME_COOKIE_NAME].value == ""


def test_in_production_the_username_cookie_is_host_prefixed_and_secure(
    client: Client, settings
) -> None:
    settings.RXPORTAL_USERNAME_COOKIE_NAME = "__Host-rx_username"

    response = enter_username(client, "Dana", question="stop", remember="on")

    cookie = response.cookies["__Host-rx_username"]
    assert cookie["secure"]
    assert cookie["path"] == "/"
    assert not cookie["domain"]


@pytest.mark.parametrize("step", ["rx_login_question", "rx_login_password"])
def test_not_you_starts_over_without_the_remembered_username(
    client: Client, settings, step: str
) -> None:
    make_user(username="dana")
    enter_username(
        client, "Dana", question="stop" if step == "rx_login_question" else "answer", remember="on"
    )
    page = html_of(client.get(reverse(step)))
    assert "Not you? Use another username" in page
    action = re.search(r'<form class="inline-form" method="post" action="([^"]+)">', page).group(1)

    response = client.post(action.replace("&amp;", "&"), {"change": "1"})
    start_over = client.get(response["Location"])

    assert response.status_code == 302
    assert IDENTIFIED_USERNAME_SESSION_KEY not in client.session
    assert response.cookies[settings.RXPORTAL_USERNAME_COOKIE_NAME].value == ""
    assert start_over.status_code == 200
    assert 'value="Dana"' not in html_of(start_over)


def test_a_plain_link_cannot_make_the_portal_forget_the_username(client: Client) -> None:
    enter_username(client, "Dana", question="stop", remember="on")

    client.get(reverse("account_login") + "?change=1")

    assert client.session[IDENTIFIED_USERNAME_SESSION_KEY]


def test_the_sitekey_is_shown_above_the_password_field(client: Client) -> None:
    make_user(username="dana")
    enter_username(client, "DANA")

    html = html_of(client.get(reverse("rx_login_password")))

    assert SITEKEY_PHRASE in html
    assert "/static/accounts/sitekeys/teapot.svg" in html
    assert 'alt="A green teapot"' in html
    assert html.index(SITEKEY_PHRASE) < html.index('name="password"')
    assert 'autocomplete="current-password"' in html
    assert "onpaste" not in html  # pasting (password managers) allowed


def _shape(html: str, username: str) -> str:
    """The page with the parts that may differ removed: tokens and the username."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    return html.replace(username, "USERNAME")


def test_without_the_answer_known_and_unknown_names_get_the_same_password_page(
    client: Client,
) -> None:
    make_user(username="dana1")
    known_client, unknown_client = Client(), Client()
    enter_username(known_client, "dana1", question="skip")
    enter_username(unknown_client, "dana2", question="skip")

    known = known_client.get(reverse("rx_login_password"))
    unknown = unknown_client.get(reverse("rx_login_password"))

    assert known.status_code == unknown.status_code == 200
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    assert list(known.context["form"].fields) == list(unknown.context["form"].fields)
    assert _shape(html_of(known), "dana1") == _shape(html_of(unknown), "dana2")
    assert SITEKEY_PHRASE not in html_of(known)
    assert "sitekey__image" not in html_of(known)


def test_known_and_unknown_usernames_fail_the_same_way(client: Client) -> None:
    make_user(username="dana1")
    known_client, unknown_client = Client(), Client()
    enter_username(known_client, "dana1", question="skip")
    enter_username(unknown_client, "dana2", question="skip")

    known = enter_password(known_client, "wrong-password")
    unknown = enter_password(unknown_client, "wrong-password")

    assert known.status_code == unknown.status_code == 200
    assert _shape(html_of(known), "dana1") == _shape(html_of(unknown), "dana2")


def test_an_account_without_a_sitekey_yet_is_told_so_after_the_answer(client: Client) -> None:
    make_user(username="newcomer", sitekey=False)
    enter_username(client, "Newcomer")

    html = html_of(client.get(reverse("rx_login_password")))

    assert "You have not chosen a SiteKey yet." in html
    assert "sitekey__image" not in html


def test_no_decoy_sitekey_machinery_is_left() -> None:
    from rxportal.accounts import sitekeys

    assert not hasattr(sitekeys, "decoy_sitekey")
    assert not hasattr(sitekeys, "DECOY_PHRASE_COUNT")


@pytest.mark.parametrize(
    "username",
    ["x" * 151, "nul\x00byte", "   ", "😀" * 40, "\u202eevil"],
)
def test_odd_usernames_are_explained_never_a_server_error(client: Client, username: str) -> None:
    response = client.post(reverse("account_login"), {"username": username})

    assert response.status_code == 200
    if not is_question_page(response):
        assert 'role="alert"' in html_of(response) or "field__error" in html_of(response)


def test_an_overlong_password_is_refused_politely(client: Client) -> None:
    make_user(username="dana")
    enter_username(client, "dana")

    response = enter_password(client, "p" * 5000)

    assert response.status_code == 200
    assert "field__error" in html_of(response)


def test_a_signed_in_visitor_is_sent_on_from_step_one(client: Client) -> None:
    client.force_login(make_user(username="dana", role="client"))

    response = client.get(reverse("account_login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:home")


def test_the_back_office_login_goes_through_the_portal_sign_in(client: Client) -> None:
    response = client.get(reverse("admin:login") + "?next=/backoffice/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_self_service_signup_is_closed_until_eligibility_checks_exist(client: Client) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "username": "walkin",
            "email": "walkin@example.org",
            "password1": "A-long-enough-passphrase-123",
            "password2": "A-long-enough-passphrase-123",
        },
    )

    assert response.status_code == 200
    assert "signup_closed" in " ".join(t.name for t in response.templates if t.name)


def test_sign_in_pages_have_no_inline_script_or_style(client: Client) -> None:
    make_user(username="dana")
    pages = [html_of(client.get(reverse("account_login")))]
    pages.append(html_of(enter_username(client, "dana", question="stop")))
    pages.append(html_of(client.get(reverse("rx_login_question"))))
    enter_username(client, "dana")
    pages.append(html_of(client.get(reverse("rx_login_password"))))

    for html in pages:
        # Only files (the step's URL script): the CSP allows no inline code.
        assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html))
        assert "style=" not in html and "<style" not in html


def test_sign_in_in_spanish(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "es", "next": "/"})

    step_one = html_of(client.get(reverse("account_login")))
    enter_username(client, "nadie", question="skip")
    step_two = html_of(client.get(reverse("rx_login_password")))

    assert "Recordar mi nombre de usuario en este dispositivo" in step_one
    assert "¿No es usted? Use otro nombre de usuario" in step_two
    assert "Your SiteKey" not in step_two


def test_too_many_tries_get_a_friendly_429_page(client: Client, settings) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "rx_identify": "2/m/ip"}
    for _ in range(2):
        enter_username(client, "dana", question="stop")

    response = client.post(reverse("account_login"), {"username": "dana"})

    assert response.status_code == 429
    assert "Please wait a moment" in html_of(response)
    assert "<main" in html_of(response)
