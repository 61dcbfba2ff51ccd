"""Helpers for the registration tests (test_registration*.py). No tests here.

Import the ``fresh_cache`` fixture (from test_signin_support) into each test module: the
eligibility rate limit lives in the cache.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from rxportal.core import clock
from rxportal.members.models import Member
from tests.factories import MemberFactory

PASSWORD = "Lanterns glow over the quiet harbor"
SITEKEY_PHRASE = "Morning tea by the lake"
QUESTIONS = ("first-pet", "first-concert", "childhood-nickname")
ANSWER = "blue heron"
CODE_SESSION_KEY = "account_email_verification_code"

_CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
_VALUE_RE = re.compile(r' value="[^"]*"')


def adult_member(**overrides: Any) -> Member:
    """A subscriber with punctuation and accents in the name, and a ZIP+4 on file."""
    fields: dict[str, Any] = {
        "member_id": "RXP00001234",
        "first_name": "Dana",
        "last_name": "O'Brien-Núñez",
        "date_of_birth": dt.date(1980, 6, 15),
        "zip_code": "06103-1234",
    }
    fields.update(overrides)
    return MemberFactory(**fields)


def eligibility_for(member: Member, **overrides: str) -> dict[str, str]:
    data = {
        "member_id": member.member_id,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "date_of_birth": member.date_of_birth.isoformat(),
        "zip_code": member.zip_code[:5],
    }
    data.update(overrides)
    return data


def account_details(**overrides: str) -> dict[str, str]:
    data = {
        "email": "dana@example.org",
        "username": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "sitekey_image": "teapot",
        "sitekey_phrase": SITEKEY_PHRASE,
    }
    for number, question in enumerate(QUESTIONS, start=1):
        data[f"question_{number}"] = question
        data[f"answer_{number}"] = ANSWER
    data.update(overrides)
    return data


def prove_membership(client: Client, member: Member, **overrides: str):
    return client.post(reverse("rx_register_member"), eligibility_for(member, **overrides))


def business_details(**overrides: str) -> dict[str, str]:
    data = {
        "first_name": "Robin",
        "last_name": "Okafor",
        "organization_claim": "Acme Manufacturing",
        "role": "client",
    }
    data.update(overrides)
    return data


def sign_up(client: Client, **overrides: str):
    """The account step, its commit included: its emails leave through the outbox after it."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("account_signup"), account_details(**overrides))


def code_in(message: mail.EmailMessage) -> str:
    match = re.search(r"^\s*([A-Z0-9][A-Z0-9-]{4,}[A-Z0-9])\s*$", str(message.body), re.MULTILINE)
    assert match, message.body
    return match.group(1)


def enter_code(client: Client, code: str):
    return client.post(reverse("account_email_verification_sent"), {"code": code})


def comparable(html: str, *secrets: str) -> str:
    """The page without its CSRF token, the values echoed into inputs, and the given strings."""
    html = _VALUE_RE.sub("", _CSRF_RE.sub("", html))
    for secret in secrets:
        html = html.replace(secret, "…")
    return html


def age_the_code(client: Client, seconds: int) -> None:
    session = client.session
    state = session[CODE_SESSION_KEY]
    state["at"] -= seconds
    session[CODE_SESSION_KEY] = state
    session.save()


def years_ago(years: int) -> dt.date:
    today = clock.today()
    return today.replace(year=today.year - years, day=1)
