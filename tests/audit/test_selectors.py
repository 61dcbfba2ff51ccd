"""verify_chain (including tampering done around the triggers) and the staff search."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from rxportal.accounts.models import User
from rxportal.audit.errors import AuditForbidden
from rxportal.audit.models import AuditEvent, Outcome
from rxportal.audit.selectors import search_events, verify_chain
from rxportal.audit.services import record_event, username_digest
from rxportal.core import clock
from rxportal.core.errors import DomainError
from tests.audit.support import append_only_triggers_dropped

pytestmark = pytest.mark.django_db


def _record_five(actor: User) -> list[AuditEvent]:
    return [
        record_event(
            action="staff.test.done",
            outcome=Outcome.SUCCESS,
            actor=actor,
            ip_address="203.0.113.7",
            details={"n": n},
        )
        for n in range(5)
    ]


def _tamper(sql: str, params: list[object]) -> None:
    with append_only_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_empty_chain_is_ok() -> None:
    result = verify_chain()

    assert result.ok
    assert result.events_checked == 0


def test_intact_chain_is_ok_across_batches(staff_user: User) -> None:
    events = _record_five(staff_user)

    result = verify_chain(batch_size=2)

    assert result.ok
    assert result.events_checked == 5
    assert result.first_bad_sequence is None
    assert (result.last_sequence, result.head_hash) == (5, events[-1].hash)


def test_command_reports_ok(staff_user: User) -> None:
    _record_five(staff_user)
    out = io.StringIO()

    call_command("verify_audit_chain", stdout=out)

    assert out.getvalue().startswith("audit chain OK: 5 events")


def test_an_edited_event_is_found_and_the_command_fails(staff_user: User) -> None:
    _record_five(staff_user)
    _tamper("UPDATE audit_auditevent SET reason = %s WHERE sequence = %s", ["nothing to see", 3])

    result = verify_chain()

    assert not result.ok
    assert result.first_bad_sequence == 3
    assert result.events_checked == 2
    assert "hash does not match" in result.problem
    with pytest.raises(CommandError, match="BROKEN at sequence 3") as excinfo:
        call_command("verify_audit_chain")
    assert excinfo.value.returncode == 1


def test_an_edited_event_with_a_recomputed_plain_sha256_is_still_found(staff_user: User) -> None:
    """Without the key an attacker cannot produce a hash that verifies."""
    import hashlib

    events = _record_five(staff_user)
    forged = hashlib.sha256(b"forged").hexdigest()
    _tamper("UPDATE audit_auditevent SET hash = %s WHERE sequence = %s", [forged, 5])

    result = verify_chain()

    assert result.first_bad_sequence == 5
    assert result.head_hash == events[3].hash


def test_a_deleted_event_is_found(staff_user: User) -> None:
    _record_five(staff_user)
    _tamper("DELETE FROM audit_auditevent WHERE sequence = %s", [2])

    result = verify_chain()

    assert result.first_bad_sequence == 3
    assert "expected sequence 2" in result.problem


def test_a_deleted_event_with_the_chain_relinked_around_it_is_found(staff_user: User) -> None:
    """Renumbering and relinking after a deletion still breaks the keyed hash."""
    events = _record_five(staff_user)
    _tamper("DELETE FROM audit_auditevent WHERE sequence = %s", [3])
    _tamper(
        "UPDATE audit_auditevent SET sequence = %s, prev_hash = %s WHERE sequence = %s",
        [3, events[1].hash, 4],
    )

    result = verify_chain()

    assert result.first_bad_sequence == 3
    assert "hash does not match" in result.problem


def test_removing_the_newest_events_shows_only_as_a_shorter_head(staff_user: User) -> None:
    """The known limit of any hash chain: hence the reported head, to anchor elsewhere."""
    events = _record_five(staff_user)
    _tamper("DELETE FROM audit_auditevent WHERE sequence = %s", [5])

    result = verify_chain()

    assert result.ok
    assert (result.last_sequence, result.head_hash) == (4, events[3].hash)


def test_verification_survives_secret_key_rotation(staff_user: User, settings: object) -> None:
    _record_five(staff_user)
    old_secret = settings.SECRET_KEY  # type: ignore[attr-defined]

    with override_settings(SECRET_KEY="a-brand-new-secret-" + "x" * 40):
        assert not verify_chain().ok
    with override_settings(
        SECRET_KEY="a-brand-new-secret-" + "x" * 40, SECRET_KEY_FALLBACKS=[old_secret]
    ):
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS)
        result = verify_chain()
    assert result.ok
    assert result.events_checked == 6


# --- search_events ----------------------------------------------------------------------------


def test_search_is_refused_to_members(member_user: User) -> None:
    with pytest.raises(AuditForbidden) as excinfo:
        search_events(viewer=member_user)

    assert isinstance(excinfo.value, DomainError)
    assert excinfo.value.code == "audit.forbidden"


def test_search_is_refused_to_anonymous_and_inactive_staff(staff_user: User) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(AuditForbidden):
        search_events(viewer=AnonymousUser())
    staff_user.is_active = False
    with pytest.raises(AuditForbidden):
        search_events(viewer=staff_user)


def test_search_is_allowed_to_superusers_of_any_role(superuser: User) -> None:
    superuser.role = "member"

    assert list(search_events(viewer=superuser)) == []


@pytest.fixture
def mixed_events(
    staff_user: User, member_user: User, monkeypatch: pytest.MonkeyPatch
) -> dict[str, AuditEvent]:
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    events: dict[str, AuditEvent] = {}

    def at(day: int) -> None:
        monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=day))

    at(0)
    events["login"] = record_event(
        action="auth.login.succeeded",
        outcome=Outcome.SUCCESS,
        actor=member_user,
        subject=member_user,
        ip_address="203.0.113.7",
    )
    at(1)
    events["failed"] = record_event(
        action="auth.login.failed",
        outcome=Outcome.FAILURE,
        ip_address="2001:db8::1",
        details={"username_digest": username_digest("dana.member")},
    )
    at(2)
    events["rename"] = record_event(
        action="staff.username.changed",
        outcome=Outcome.SUCCESS,
        actor=staff_user,
        subject=member_user,
        reason="ticket 1234",
        ip_address="198.51.100.2",
    )
    at(3)
    events["authz"] = record_event(action="authz.policy.checked", outcome=Outcome.DENIED)
    return events


def _found(**filters: object) -> list[str]:
    return [event.action for event in search_events(**filters)]  # type: ignore[arg-type]


def test_search_without_filters_lists_newest_first(
    staff_user: User, mixed_events: dict[str, AuditEvent]
) -> None:
    assert _found(viewer=staff_user) == [
        "authz.policy.checked",
        "staff.username.changed",
        "auth.login.failed",
        "auth.login.succeeded",
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"actor_username": "AVERY.staff"}, ["staff.username.changed"]),
        ({"action_prefix": "auth"}, ["auth.login.failed", "auth.login.succeeded"]),
        ({"action_prefix": "auth.login."}, ["auth.login.failed", "auth.login.succeeded"]),
        ({"action_prefix": "auth.login.failed"}, ["auth.login.failed"]),
        ({"outcome": "denied"}, ["authz.policy.checked"]),
        ({"ip_address": "2001:DB8:0::1"}, ["auth.login.failed"]),
        ({"ip_address": "203.0.113.7"}, ["auth.login.succeeded"]),
        ({"attempted_username": "Dana.Member"}, ["auth.login.failed"]),
        (
            {"since": dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)},
            ["authz.policy.checked", "staff.username.changed", "auth.login.failed"],
        ),
        ({"until": dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)}, ["auth.login.succeeded"]),
    ],
)
def test_search_filters(
    staff_user: User,
    mixed_events: dict[str, AuditEvent],
    filters: dict[str, object],
    expected: list[str],
) -> None:
    assert _found(viewer=staff_user, **filters) == expected


def test_search_by_subject(
    staff_user: User, member_user: User, mixed_events: dict[str, AuditEvent]
) -> None:
    assert _found(viewer=staff_user, subject_id=str(member_user.public_id)) == [
        "staff.username.changed",
        "auth.login.succeeded",
    ]
