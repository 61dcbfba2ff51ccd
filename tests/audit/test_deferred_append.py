"""Deferred audit append: the request pays one INSERT, the sealer chains it, nothing is lost.

With ``RXPORTAL_AUDIT_APPEND = "deferred"`` an event is a ``PendingAuditEvent`` row written in
the caller's transaction; ``seal_pending_events`` (beat, every 2 s) moves the rows into the chain.
The PostgreSQL tests kill real processes mid-seal and run sealers side by side.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import override_settings

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent, Outcome, PendingAuditEvent
from rxportal.audit.selectors import verify_chain
from rxportal.audit.services import record_event, seal_pending_events
from rxportal.audit.tasks import seal_pending_events as seal_task

REPO = Path(__file__).resolve().parents[2]
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="other processes cannot open SQLite's in-memory test database; CI's PostgreSQL run has them",
)


@pytest.fixture
def deferred() -> Iterator[None]:
    with override_settings(RXPORTAL_AUDIT_APPEND="deferred"):
        yield


@pytest.mark.django_db
def test_a_deferred_event_costs_the_caller_one_statement(
    deferred: None, staff_user: User, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        event = record_event(
            action="staff.test.done", outcome=Outcome.SUCCESS, actor=staff_user, details={"n": 1}
        )

    assert AuditEvent.objects.count() == 0
    pending = PendingAuditEvent.objects.get()
    assert pending.public_id == event.public_id
    assert pending.actor == staff_user
    assert pending.details == {"n": 1}


@pytest.mark.django_db
def test_sealing_chains_pending_events_in_the_order_they_were_recorded(
    deferred: None, staff_user: User
) -> None:
    recorded = [
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS, details={"n": n})
        for n in range(5)
    ]

    assert seal_pending_events(batch_size=2) == 5

    chained = list(AuditEvent.objects.order_by("sequence"))
    assert [e.public_id for e in chained] == [e.public_id for e in recorded]
    assert [e.details["n"] for e in chained] == [0, 1, 2, 3, 4]
    assert PendingAuditEvent.objects.count() == 0
    assert verify_chain().ok
    assert verify_chain().events_checked == 5
    assert seal_pending_events() == 0  # nothing left: a second run changes nothing


@pytest.mark.django_db
def test_inline_and_deferred_events_share_one_chain(staff_user: User) -> None:
    record_event(action="staff.test.done", outcome=Outcome.SUCCESS, details={"n": 0})
    with override_settings(RXPORTAL_AUDIT_APPEND="deferred"):
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS, details={"n": 1})
    record_event(action="staff.test.done", outcome=Outcome.SUCCESS, details={"n": 2})

    assert seal_task() == {"sealed": 1}

    assert [e.details["n"] for e in AuditEvent.objects.order_by("sequence")] == [0, 2, 1]
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_deferred_event_rolls_back_with_the_change_it_describes(deferred: None) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS)
        raise RuntimeError("the change failed")

    assert PendingAuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_the_guards_run_before_anything_is_written(deferred: None) -> None:
    with pytest.raises(ValueError, match="looks like a secret or PHI"):
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS, details={"dob": "x"})

    assert PendingAuditEvent.objects.count() == 0


def test_beat_seals_every_few_seconds() -> None:
    from django.conf import settings

    job = settings.CELERY_BEAT_SCHEDULE["audit.seal_pending_events"]
    assert job["task"] == "audit.seal_pending_events"
    assert job["schedule"] <= 5


# --- Real processes and connections (PostgreSQL) ---------------------------------------------


def _run_django(script: str, *, expect_killed: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a new Python process on this test database."""
    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}"
        f":{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    prologue = textwrap.dedent(
        """
        import os, signal, django
        django.setup()
        from django.conf import settings
        from django.db import transaction
        from rxportal.audit.models import Outcome
        from rxportal.audit.services import record_event, seal_pending_events
        """
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "rxportal.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", prologue + textwrap.dedent(script)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if expect_killed:
        assert result.returncode == -signal.SIGKILL, result.stderr
    else:
        assert result.returncode == 0, result.stderr
    return result


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_sealer_killed_mid_batch_loses_nothing_and_chains_nothing_twice() -> None:
    # A web process records 30 events off the request path and exits.
    _run_django(
        """
        settings.RXPORTAL_AUDIT_APPEND = "deferred"
        for n in range(30):
            record_event(action="staff.test.done", outcome=Outcome.SUCCESS, details={"n": n})
        """
    )
    assert PendingAuditEvent.objects.count() == 30

    # A sealer chains a batch and is killed before its transaction commits.
    _run_django(
        """
        with transaction.atomic():
            seal_pending_events(batch_size=10)
            os.kill(os.getpid(), signal.SIGKILL)
        """,
        expect_killed=True,
    )
    assert AuditEvent.objects.count() == 0
    assert PendingAuditEvent.objects.count() == 30

    # A sealer that commits a batch, then dies while chaining the next.
    _run_django(
        """
        from rxportal.audit import services
        real_chain = services._chain
        calls = []
        def chain_then_die(events):
            calls.append(len(events))
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            real_chain(events)
        services._chain = chain_then_die
        seal_pending_events(batch_size=10)
        """,
        expect_killed=True,
    )
    assert AuditEvent.objects.count() == 10
    assert PendingAuditEvent.objects.count() == 20

    assert seal_pending_events() == 20
    chained = list(AuditEvent.objects.order_by("sequence").values_list("details", flat=True))
    assert [d["n"] for d in chained] == list(range(30))
    assert PendingAuditEvent.objects.count() == 0
    assert verify_chain().ok


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_sealers_running_side_by_side_with_writers_keep_one_chain() -> None:
    writers, sealers, per_writer = 4, 3, 25
    errors: list[BaseException] = []
    writing = threading.Event()

    def write() -> None:
        try:
            writing.wait()
            for n in range(per_writer):
                record_event(action="staff.test.done", outcome=Outcome.SUCCESS, details={"n": n})
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def seal() -> None:
        try:
            writing.wait()
            for _ in range(20):
                seal_pending_events(batch_size=7)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    threads += [threading.Thread(target=seal) for _ in range(sealers)]
    # Settings are process-wide: switched here, once, not inside the threads.
    with override_settings(RXPORTAL_AUDIT_APPEND="deferred"):
        for thread in threads:
            thread.start()
        writing.set()
        for thread in threads:
            thread.join()
    seal_pending_events()

    assert errors == []
    assert PendingAuditEvent.objects.count() == 0
    assert AuditEvent.objects.count() == writers * per_writer
    assert AuditEvent.objects.values("public_id").distinct().count() == writers * per_writer
    result = verify_chain()
    assert result.ok, result.problem
    assert result.events_checked == writers * per_writer


@pytest.mark.django_db
def test_verify_audit_chain_counts_the_events_still_waiting(deferred: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    record_event(action="staff.test.done", outcome=Outcome.SUCCESS)
    record_event(action="staff.test.done", outcome=Outcome.SUCCESS)
    out = StringIO()

    call_command("verify_audit_chain", stdout=out)

    assert "audit chain OK: 0 events" in out.getvalue()
    assert "2 recorded events are waiting to be chained" in out.getvalue()


@pytest.mark.django_db
def test_a_pending_event_cannot_be_edited_before_it_is_chained(deferred: None) -> None:
    from django.db import DatabaseError

    record_event(action="staff.test.done", outcome=Outcome.SUCCESS, reason="as recorded")

    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
        PendingAuditEvent.objects.update(reason="rewritten")
    assert PendingAuditEvent.objects.get().reason == "as recorded"
    assert seal_pending_events() == 1  # deleting, which sealing does, stays open
    assert AuditEvent.objects.get().reason == "as recorded"


def test_beat_drops_a_stale_seal_job_instead_of_queueing_it() -> None:
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["audit.seal_pending_events"]["options"]["expires"] <= 30


# --- A read's event commits without waiting for the disk (PostgreSQL) ------------------------


def _audit_statements(queries: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"].split()[0] + (" synchronous_commit" if "synchronous_commit" in q["sql"] else "")
        for q in queries
        if "synchronous_commit" in q["sql"] or "audit_pendingauditevent" in q["sql"]
    ]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_event_alone_in_its_transaction_commits_without_waiting_for_the_disk(
    deferred: None,
) -> None:
    """A page view's PHI read is the request's only write: it commits asynchronously, and is
    committed (another connection sees it) before record_event returns."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        event = record_event(action="staff.test.done", outcome=Outcome.SUCCESS)

    assert _audit_statements(queries.captured_queries) == ["SET synchronous_commit", "INSERT"]
    assert not connection.in_atomic_block
    assert PendingAuditEvent.objects.filter(public_id=event.public_id).exists()
    with connection.cursor() as cursor:  # SET LOCAL ended with its transaction
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_web_process_killed_right_after_its_read_event_loses_nothing() -> None:
    """The asynchronous commit is still a commit in PostgreSQL's memory: the process that wrote
    it may die at once (SIGKILL, no clean-up) and the row is there to be sealed."""
    _run_django(
        """
        from django.db import connection
        from django.test import override_settings
        with override_settings(RXPORTAL_AUDIT_APPEND="deferred"):
            assert not connection.in_atomic_block
            record_event(action="member.claims.viewed", outcome=Outcome.SUCCESS)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        expect_killed=True,
    )

    assert PendingAuditEvent.objects.filter(action="member.claims.viewed").count() == 1
    assert seal_pending_events() == 1
    assert verify_chain().ok


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_event_written_with_a_change_keeps_the_synchronous_commit(deferred: None) -> None:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS)

    assert _audit_statements(queries.captured_queries) == ["INSERT"]
    assert PendingAuditEvent.objects.count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_setting_turns_the_asynchronous_commit_off(deferred: None) -> None:
    from django.test.utils import CaptureQueriesContext

    with (
        override_settings(RXPORTAL_AUDIT_ASYNC_COMMIT=False),
        CaptureQueriesContext(connection) as queries,
    ):
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS)

    assert _audit_statements(queries.captured_queries) == ["INSERT"]
    assert PendingAuditEvent.objects.count() == 1
