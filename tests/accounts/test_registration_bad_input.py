"""Bad input on every registration form: an explained form error (or a harmless success), never
a server error. The test client re-raises any exception a view lets escape."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import User
from tests.accounts.test_registration_support import (
    account_details,
    adult_member,
    business_details,
    eligibility_for,
    enter_code,
    prove_membership,
    sign_up,
)
from tests.accounts.test_signin_support import fresh_cache  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

BAD_VALUES: dict[str, Any] = {
    "overlong": "x" * 10_000,
    "null byte": "abc\x00def",
    "bidi override": "\u202eevil",
    "zero width": "Da\u200bna",
    "combining pile": "Z" + "\u0301" * 60,
    "emoji": "🧪🧪🧪",
    "only spaces": "     ",
    "empty": "",
    "two values": ["one", "two"],
    "markup": "<script>alert(1)</script>",
}


def _check(response: Any) -> None:
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        html = response.content.decode()
        assert "error-summary" in html
        assert "<script>alert(1)</script>" not in html


def _with(data: dict[str, str], field: str, value: Any) -> dict[str, Any]:
    return {**data, field: value}


@pytest.mark.parametrize("bad", list(BAD_VALUES), ids=list(BAD_VALUES))
@pytest.mark.parametrize(
    "field", ["member_id", "first_name", "last_name", "date_of_birth", "zip_code"]
)
def test_the_eligibility_step_explains_bad_input(client: Client, field: str, bad: str) -> None:
    member = adult_member()

    response = client.post(
        reverse("rx_register_member"), _with(eligibility_for(member), field, BAD_VALUES[bad])
    )

    _check(response)


@pytest.mark.parametrize(
    "date_of_birth", ["1980-02-30", "0000-01-01", "99999-01-01", "1850-01-01", "2999-01-01"]
)
def test_impossible_dates_of_birth_are_explained(client: Client, date_of_birth: str) -> None:
    response = prove_membership(client, adult_member(), date_of_birth=date_of_birth)

    assert response.status_code == 200
    assert "Enter your date of birth" in response.content.decode()


def test_a_missing_field_is_named(client: Client) -> None:
    data = eligibility_for(adult_member())
    del data["zip_code"]

    html = client.post(reverse("rx_register_member"), data).content.decode()

    assert "ZIP code: This field is required." in html


@pytest.mark.parametrize("bad", list(BAD_VALUES), ids=list(BAD_VALUES))
@pytest.mark.parametrize("field", ["first_name", "last_name", "organization_claim", "role"])
def test_the_business_step_explains_bad_input(client: Client, field: str, bad: str) -> None:
    response = client.post(
        reverse("rx_register_business"), _with(business_details(), field, BAD_VALUES[bad])
    )

    _check(response)


SIGNUP_FIELDS = list(account_details())


@pytest.mark.parametrize("bad", list(BAD_VALUES), ids=list(BAD_VALUES))
@pytest.mark.parametrize("field", SIGNUP_FIELDS)
def test_the_account_step_explains_bad_input(client: Client, field: str, bad: str) -> None:
    prove_membership(client, adult_member())

    response = client.post(
        reverse("account_signup"), _with(account_details(), field, BAD_VALUES[bad])
    )

    _check(response)


def test_the_account_step_with_nothing_at_all(client: Client) -> None:
    prove_membership(client, adult_member())

    response = client.post(reverse("account_signup"), {})

    _check(response)
    assert response.status_code == 200
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"question_2": "first-pet"}, "Choose a different question for each answer."),
        ({"question_3": "not-a-question"}, "Choose a question from the list."),
        ({"answer_1": "a!"}, "at least 3 letters or digits"),
        ({"sitekey_image": "not-an-image"}, "Choose one of the pictures shown."),
        ({"sitekey_phrase": "ab"}, "between 3 and 60 characters"),
        ({"sitekey_phrase": "tea\u202e time"}, "characters that cannot be shown"),
        ({"email": "not-an-email"}, "valid email address"),
        ({"username": "has spaces inside"}, "Enter a valid username"),
    ],
)
def test_account_step_errors_say_what_is_wrong(
    client: Client, overrides: dict[str, str], message: str
) -> None:
    prove_membership(client, adult_member())

    html = sign_up(client, **overrides).content.decode()

    assert message in html.replace("&#x27;", "'")
    assert not User.objects.exists()


def test_an_email_that_cannot_be_a_username_asks_for_one(client: Client) -> None:
    prove_membership(client, adult_member())

    html = sign_up(client, email="o'brien@example.org").content.decode()

    assert "can&#x27;t be used as a username" in html
    assert not User.objects.exists()


def test_the_sitekey_phrase_is_kept_but_secret_answers_are_not(client: Client) -> None:
    prove_membership(client, adult_member())

    html = sign_up(
        client, password2="mismatch mismatch ok", answer_2="secret heron"
    ).content.decode()

    assert 'value="Morning tea by the lake"' in html
    assert "secret heron" not in html
    assert "mismatch mismatch ok" not in html


@pytest.mark.parametrize("bad", list(BAD_VALUES), ids=list(BAD_VALUES))
def test_the_code_page_explains_bad_input(client: Client, bad: str) -> None:
    prove_membership(client, adult_member())
    sign_up(client)
    assert len(mail.outbox) == 1

    response = client.post(reverse("account_email_verification_sent"), {"code": BAD_VALUES[bad]})

    # A wrong code re-shows the page with the reason; the third starts over at sign-in.
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "error-summary" in response.content.decode()


def test_the_code_page_without_a_registration_goes_to_sign_in(client: Client) -> None:
    response = enter_code(client, "ABCD-EFGH")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")


def test_a_username_that_is_another_email_address_is_refused(client: Client) -> None:
    """A username equal to someone else's email address would take over their email sign-in."""
    prove_membership(client, adult_member())

    html = sign_up(client, username="someone.else@example.org").content.decode()

    assert "can&#x27;t be an email address other than yours" in html
    assert not User.objects.exists()


def test_the_registrants_own_email_address_may_be_the_username(client: Client) -> None:
    prove_membership(client, adult_member())

    sign_up(client, email="dana@example.org", username="Dana@Example.org")

    assert User.objects.get().username == "dana@example.org"
