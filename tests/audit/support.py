"""Helpers for tests that must get around the audit trail's append-only triggers.

* ``append_only_triggers_dropped()``: inside a test's transaction (the ``db`` fixture), drop the
  triggers so a test can play the attacker, then put them back.
* ``purge_audit_trail()`` and the fixtures below: for ``transactional_db`` / ``live_server`` /
  ``django_db(transaction=True)`` tests. Django's flush after such a test empties tables with
  DELETE on SQLite, which the trigger refuses once any event exists (every sign-in records one),
  and the flush error then spills into every later transactional test. ``audit_trail_purged``
  depends on ``transactional_db``, so it is torn down, and purges, before the flush.
  ``purge_audit_trail_before_flush`` is an autouse version that switches itself on only for
  transactional tests: import it into a ``conftest.py`` (tests/audit does; the root conftest
  should, for the browser tests). PostgreSQL's flush uses TRUNCATE, which row triggers do not see.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction

from rxportal.audit.models import AuditEvent

_trigger_migration = importlib.import_module(
    "rxportal.audit.migrations.0002_audit_events_are_append_only"
)


class _CursorEditor:
    """Just enough of a schema editor for the migration's functions, usable inside a
    transaction (SQLite's real schema editor refuses to open inside one)."""

    def __init__(self) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Any = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


@contextmanager
def append_only_triggers_dropped() -> Iterator[None]:
    editor = _CursorEditor()
    _trigger_migration.drop_triggers(None, editor)
    try:
        yield
    finally:
        _trigger_migration.create_triggers(None, editor)


def purge_audit_trail() -> None:
    with transaction.atomic(), append_only_triggers_dropped():
        AuditEvent.objects.all().delete()


@pytest.fixture
def audit_trail_purged(transactional_db: None) -> Iterator[None]:
    yield
    purge_audit_trail()


def is_transactional(request: pytest.FixtureRequest) -> bool:
    """Whether pytest-django will flush the database after this test."""
    if {"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames):
        return True
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return False
    return bool(
        marker.kwargs.get("transaction")
        or marker.kwargs.get("reset_sequences")
        or (marker.args and marker.args[0])
    )


@pytest.fixture(autouse=True)
def purge_audit_trail_before_flush(request: pytest.FixtureRequest) -> None:
    if is_transactional(request):
        request.getfixturevalue("audit_trail_purged")
