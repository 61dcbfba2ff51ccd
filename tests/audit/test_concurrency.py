"""Appends from many connections at once still form one chain (PostgreSQL advisory lock).

These tests commit for real; the autouse ``purge_audit_trail_before_flush`` (tests/audit/conftest.py)
empties the trail around the append-only trigger before Django's flush, which on SQLite deletes
row by row.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from rxportal.audit.models import AuditEvent, Outcome
from rxportal.audit.selectors import verify_chain
from rxportal.audit.services import record_event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("run", [1, 2])
def test_transactional_tests_that_record_events_can_be_flushed(run: int) -> None:
    record_event(action="auth.test.done", outcome=Outcome.SUCCESS)

    assert AuditEvent.objects.count() == 1  # the previous run's event was purged


def test_the_transactional_db_fixture_is_handled_too(transactional_db: None) -> None:
    record_event(action="auth.test.done", outcome=Outcome.SUCCESS)

    assert AuditEvent.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's in-memory test database is one writer"
)
def test_concurrent_appends_form_a_single_unbroken_chain() -> None:
    threads, per_thread = 8, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def append() -> None:
        try:
            barrier.wait()
            for n in range(per_thread):
                record_event(action="auth.test.done", outcome=Outcome.SUCCESS, details={"n": n})
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=append) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    result = verify_chain()
    assert result.ok
    assert result.events_checked == threads * per_thread
