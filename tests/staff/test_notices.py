"""The staff console's notices: their kinds' templates render (English and Spanish) with the
context the staff services give them, and say only what each address may read."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import translation

from rxportal.accounts.models import User
from rxportal.notifications import kinds
from rxportal.notifications.models import Notification
from rxportal.notifications.services import render_message
from rxportal.staff.services.emails import change_email
from tests.staff.conftest import make_user

REASON = "Caller verified by phone, ticket 4411"

SAMPLE_CONTEXT: dict[str, dict[str, Any]] = {
    "security.username_changed": {"username": "jordan.s", "phone": "1-800-555-0100"},
    "security.email_changed": {"masked": "j***@example.org", "phone": "1-800-555-0100"},
    "account.username_reminder": {"usernames": "jordan.s", "phone": "1-800-555-0100"},
    "security.challenges_reset": {"phone": "1-800-555-0100"},
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("code", sorted(SAMPLE_CONTEXT))
def test_the_staff_kinds_render_in_both_languages(code: str, language: str) -> None:
    with translation.override(language):
        message = render_message(kinds.get_kind(code), SAMPLE_CONTEXT[code])
        empty = render_message(kinds.get_kind(code), {})

    assert message.subject and "\n" not in message.subject
    assert "1-800-555-0100" in message.body_text
    assert empty.subject == message.subject
    if language == "es":
        assert "Hola" in message.body_text


def test_the_old_address_hears_of_the_new_one_masked_and_the_inbox_keeps_a_note(
    account_agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user("jordan.smith", "member")  # jordan.smith@example.org

    with django_capture_on_commit_callbacks(execute=True):
        change_email(
            user=user, new_email="jordan.new@example.org", actor=account_agent, reason=REASON
        )

    old = next(m for m in mail.outbox if m.to == ["jordan.smith@example.org"])
    new = next(m for m in mail.outbox if m.to == ["jordan.new@example.org"])
    assert "not to this address" in old.body and "jordan.new@" not in old.body
    assert "confirm it with a code" in new.body and "jordan.smith" not in new.body
    [inbox] = Notification.objects.filter(kind="security.email_changed", channel="inbox")
    assert inbox.recipient_id == user.pk and "jordan.new@" not in inbox.body_text
