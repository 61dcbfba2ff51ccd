"""A pending audit event cannot be changed, forged or dropped unseen while it waits to be chained.

Each ``PendingAuditEvent`` carries an HMAC of its fields (computed before the request's one
INSERT), and each committed one is witnessed outside the database (Redis; this process's memory
without it). The sealer chains an ``audit.pending.tampered`` or ``audit.pending.missing`` event,
logs at error and counts it on /metrics for a row that fails either check.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import override_settings

from rxportal.accounts.models import User
from rxportal.audit import witness
from rxportal.audit.models import AuditEvent, Outcome, PendingAuditEvent
from rxportal.audit.selectors import verify_chain
from rxportal.audit.services import record_event, seal_pending_events
from rxportal.operations.metrics import AuditBacklogCollector

pytestmark = pytest.mark.django_db

TAMPERED = "audit.pending.tampered"
MISSING = "audit.pending.missing"


@pytest.fixture
def deferred() -> Iterator[None]:
    witness.clear()
    with override_settings(RXPORTAL_AUDIT_APPEND="deferred"):
        yield
    witness.clear()


def _record(django_capture_on_commit_callbacks, **fields) -> str:
    """One event, recorded and committed as a request would (the witness is written on commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        event = record_event(
            action=fields.pop("action", "staff.test.done"), outcome=Outcome.SUCCESS, **fields
        )
    return str(event.public_id)


def _replace_row(public_id: str, **changes) -> None:
    """What a database superuser can do around the no-UPDATE trigger: delete and re-insert."""
    row = PendingAuditEvent.objects.get(public_id=public_id)
    values = {**model_to_dict(row, exclude=["id", "actor"]), "actor_id": row.actor_id}
    values.update(public_id=row.public_id, occurred_at=row.occurred_at, seal=row.seal)
    values.update(changes)
    row.delete()
    PendingAuditEvent.objects.create(**values)


def _failures_metric() -> float:
    for family in AuditBacklogCollector().collect():
        if family.name == "rxportal_audit_pending_integrity_failures":
            return float(family.samples[0].value)
    raise AssertionError("metric missing")


def test_untouched_pending_events_are_chained_without_an_alert(
    deferred: None, staff_user: User, django_capture_on_commit_callbacks, caplog
) -> None:
    first = _record(django_capture_on_commit_callbacks, actor=staff_user, details={"n": 1})
    second = _record(django_capture_on_commit_callbacks, reason="why")

    with caplog.at_level(logging.ERROR):
        assert seal_pending_events() == 2

    assert [str(e.public_id) for e in AuditEvent.objects.order_by("sequence")] == [first, second]
    assert not caplog.records
    assert witness.outstanding() == []
    assert _failures_metric() == 0


def test_a_pending_event_changed_in_the_database_is_chained_with_an_alert(
    deferred: None, staff_user: User, django_capture_on_commit_callbacks, caplog
) -> None:
    public_id = _record(django_capture_on_commit_callbacks, actor=staff_user, reason="as recorded")
    _replace_row(public_id, reason="rewritten")

    with caplog.at_level(logging.ERROR):
        seal_pending_events()

    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.action for e in events] == ["staff.test.done", TAMPERED]
    assert events[1].subject_id == public_id
    assert events[1].outcome == Outcome.FAILURE
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [TAMPERED]
    assert _failures_metric() == 1
    assert verify_chain().ok


def test_a_pending_event_forged_in_the_database_is_flagged(
    deferred: None, staff_user: User, django_capture_on_commit_callbacks
) -> None:
    public_id = _record(django_capture_on_commit_callbacks, actor=staff_user)
    _replace_row(public_id, seal="0" * 64)  # or no seal: the key is not in the database

    seal_pending_events()

    assert AuditEvent.objects.filter(action=TAMPERED, subject_id=public_id).exists()


def test_a_pending_event_deleted_before_it_is_chained_is_reported_missing(
    deferred: None, django_capture_on_commit_callbacks, caplog
) -> None:
    kept = _record(django_capture_on_commit_callbacks)
    dropped = _record(django_capture_on_commit_callbacks, action="auth.login.failed")
    PendingAuditEvent.objects.filter(public_id=dropped).delete()

    with caplog.at_level(logging.ERROR):
        assert seal_pending_events() == 1

    missing = AuditEvent.objects.get(action=MISSING)
    assert missing.subject_id == dropped
    assert missing.details == {"recorded_action": "auth.login.failed"}
    assert AuditEvent.objects.filter(public_id=kept).exists()
    assert MISSING in [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert _failures_metric() == 1
    # Reported once: the witness is forgotten with the alert.
    seal_pending_events()
    assert AuditEvent.objects.filter(action=MISSING).count() == 1
    assert verify_chain().ok


def test_a_rolled_back_event_leaves_no_witness_and_no_alert(
    deferred: None, django_capture_on_commit_callbacks
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS)
        raise RuntimeError

    assert witness.outstanding() == []
    seal_pending_events()
    assert not AuditEvent.objects.exists()


def test_another_portal_sharing_the_redis_database_raises_no_alarm(
    deferred: None, django_capture_on_commit_callbacks, settings
) -> None:
    """One Redis database may serve more than one portal (RXPORTAL_CACHE_PREFIX apart): an
    event witnessed by the other portal has no row here, and is not this sealer's to report or
    to forget."""
    other_portal = {**settings.CACHES["default"], "KEY_PREFIX": "other-portal-sharing-redis"}
    with override_settings(CACHES={"default": other_portal}):
        witness.clear()
        theirs = _record(django_capture_on_commit_callbacks)
    PendingAuditEvent.objects.filter(public_id=theirs).delete()  # their row is in their database
    ours = _record(django_capture_on_commit_callbacks)

    try:
        seal_pending_events()

        assert not AuditEvent.objects.filter(action=MISSING).exists()
        assert AuditEvent.objects.filter(public_id=ours).exists()
        with override_settings(CACHES={"default": other_portal}):
            assert [public_id for public_id, _action in witness.outstanding()] == [theirs]
    finally:
        with override_settings(CACHES={"default": other_portal}):
            witness.clear()
