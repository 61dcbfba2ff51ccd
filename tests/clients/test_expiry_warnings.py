"""A tool grant's holder is told 14 and 3 days before it ends (the daily job), once each; and the
notices about access (decisions, revocations, warnings) render in English and Spanish."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from rxportal.accounts.models import User
from rxportal.clients import services
from rxportal.clients.models import Client, ToolGrant
from rxportal.core import clock
from rxportal.notifications import kinds
from rxportal.notifications import services as notifications
from rxportal.notifications.models import Channel, Notification
from tests.clients.conftest import approve, submit
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

SAMPLE_CONTEXT: dict[str, dict[str, Any]] = {
    "clients.access_decided": {
        "approved": True,
        "tool": "Eligibility lookup",
        "client": "Acme Manufacturing",
        "reason": "Confirmed.",
        "phone": "1-800-555-0199",
    },
    "clients.grant_revoked": {
        "tool": "Eligibility lookup",
        "client": "Acme Manufacturing",
        "reason": "Left the company.",
        "phone": "1-800-555-0199",
    },
    "clients.grant_expiring": {
        "tool": "Eligibility lookup",
        "client": "Acme Manufacturing",
        "ends_on": dt.date(2027, 3, 1),
        "phone": "1-800-555-0199",
    },
}


def _warnings(grant: ToolGrant) -> list[Notification]:
    return list(Notification.objects.filter(kind="clients.grant_expiring", recipient=grant.user))


def _days_before(grant: ToolGrant, days: float) -> dt.datetime:
    return grant.expires_at - dt.timedelta(days=days)


def test_the_holder_is_told_14_and_3_days_before_once_each(
    linked_client_user: User, acme: Client, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    MemberFactory(client=acme, first_name="Zebulon")  # a member of the client, never named
    grant = approve(submit(linked_client_user, acme), agent)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.warn_of_due_expiries(now=_days_before(grant, 15)) == 0
        services.warn_of_due_expiries(now=_days_before(grant, 14))
        services.warn_of_due_expiries(now=_days_before(grant, 13.5))  # the next day's run
        services.warn_of_due_expiries(now=_days_before(grant, 3))
        services.warn_of_due_expiries(now=_days_before(grant, 2))

    assert [message.subject for message in mail.outbox] == [
        "Your rxportal tool access ends soon"
    ] * 2
    assert {tuple(message.to) for message in mail.outbox} == {(linked_client_user.email,)}
    first = mail.outbox[0].body
    assert "Acme Manufacturing" in first and "Eligibility" in first
    assert "Zebulon" not in first
    assert len(_warnings(grant)) == 4  # email and inbox, twice
    assert {row.channel for row in _warnings(grant)} == {Channel.EMAIL, Channel.INBOX}


def test_a_grant_first_seen_inside_3_days_gets_one_warning(
    linked_client_user: User, acme: Client, agent: User
) -> None:
    grant = approve(submit(linked_client_user, acme), agent)

    services.warn_of_due_expiries(now=_days_before(grant, 2))

    assert [row.idempotency_key for row in _warnings(grant)] == [
        f"clients.grant_expiring:{linked_client_user.pk}:{grant.public_id}:3"
    ] * 2


def test_revoked_ended_and_inactive_holders_grants_are_not_warned(
    linked_client_user: User, linked_advisor: User, acme: Client, agent: User
) -> None:
    revoked = approve(submit(linked_client_user, acme), agent)
    services.revoke_grant(grant=revoked, actor=agent, reason="Left.", now=clock.now())
    inactive = approve(submit(linked_advisor, acme), agent)
    User.objects.filter(pk=linked_advisor.pk).update(is_active=False)

    warned = services.warn_of_due_expiries(now=_days_before(inactive, 5))
    ended = services.warn_of_due_expiries(now=inactive.expires_at + dt.timedelta(hours=1))

    assert (warned, ended) == (0, 0)
    assert not Notification.objects.filter(kind="clients.grant_expiring").exists()


def test_the_beat_task_runs_the_warnings(
    linked_client_user: User, acme: Client, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rxportal.clients.tasks import warn_of_due_expiries

    grant = approve(submit(linked_client_user, acme), agent)
    schedule = settings.CELERY_BEAT_SCHEDULE["clients.warn_of_due_expiries"]
    monkeypatch.setattr(clock, "now", lambda: _days_before(grant, 10))

    assert schedule["task"] == "clients.warn_of_due_expiries"
    assert warn_of_due_expiries.delay().get() == {"warned": 1}


@pytest.mark.parametrize("code", sorted(SAMPLE_CONTEXT))
def test_access_notices_render_in_english_and_spanish(code: str) -> None:
    kind = kinds.get_kind(code)
    with translation.override("en"):
        english = notifications.render_message(kind, SAMPLE_CONTEXT[code])
    with translation.override("es"):
        spanish = notifications.render_message(kind, SAMPLE_CONTEXT[code])

    for message in (english, spanish):
        assert message.subject and "\n" not in message.subject
        assert "Acme Manufacturing" in message.body_text
        assert "1-800-555-0199" in message.body_text
        assert "%(" not in message.body_text
    assert spanish.subject != english.subject
    assert "Hola" in spanish.body_text and "Hello" not in spanish.body_text


def test_a_declined_request_has_its_own_words() -> None:
    kind = kinds.get_kind("clients.access_decided")
    declined = notifications.render_message(
        kind, {**SAMPLE_CONTEXT["clients.access_decided"], "approved": False}
    )

    assert declined.subject == "Your rxportal access request was not approved"
    assert "did not approve" in declined.body_text
