"""Helpers for the recovery tests (test_recovery*.py). No tests here."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.accounts.services.recovery import RESET_SESSION_KEY

NEW_PASSWORD = "Violet-Kettle-Harbor-Lantern-77"
_CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
_CODE_RE = re.compile(r"\b(\d{6})\b")


def without_csrf(html: str) -> str:
    return _CSRF_RE.sub('name="csrfmiddlewaretoken" value=""', html)


def start_reset(client: Client, identifier: str, capture) -> object:
    """Step 1, sending the code (on-commit callbacks run)."""
    with capture(execute=True):
        response = client.post(reverse("rx_password_reset"), {"identifier": identifier})
    return response


def last_code(to: str) -> str:
    for message in reversed(mail.outbox):
        if to in message.to:
            match = _CODE_RE.search(message.body)
            assert match is not None, message.body
            return match.group(1)
    raise AssertionError(f"no code was emailed to {to}")


def enter_code(client: Client, code: str):
    return client.post(reverse("rx_password_reset_code"), {"action": "code", "code": code})


def answer_question(client: Client, answer: str):
    return client.post(reverse("rx_password_reset_question"), {"answer": answer})


def enter_second_factor(client: Client, code: str):
    return client.post(reverse("rx_password_reset_second_factor"), {"code": code})


def choose_password(client: Client, capture, password: str = NEW_PASSWORD, again: str = ""):
    with capture(execute=True):
        return client.post(
            reverse("rx_password_reset_new_password"),
            {"password1": password, "password2": again or password},
        )


def reset_state(client: Client) -> dict | None:
    value = client.session.get(RESET_SESSION_KEY)
    return value if isinstance(value, dict) else None
