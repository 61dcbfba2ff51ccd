"""A real PostgreSQL streaming replica for tests (deploy/pg-replica.sh starts one; .ci/run too).

The suite reads the primary (rxportal.settings.test mirrors the ``replica`` alias onto the default
and turns replica reads off). ``replica`` points that alias back at the real replica, at the test
database streaming replication copied there, for tests that commit (``transaction=True``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings

from rxportal.core.db_router import forget_replica_health


def replica_settings() -> dict[str, Any] | None:
    """The replica alias as configured (the test runner mirrors only its connection, so
    ``settings.DATABASES["replica"]`` still names the replica's host and port)."""
    return settings.DATABASES.get("replica")


def has_replica() -> bool:
    return replica_settings() is not None


def _control(**overrides: Any) -> psycopg.Connection[Any]:
    """A plain connection to the replica's ``postgres`` database, for replay control."""
    config = replica_settings()
    assert config is not None
    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 5432),
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
        **overrides,
    )


def check_replica_streaming() -> None:
    """Fail the run when a replica is configured but not up, in recovery and streaming."""
    if not has_replica():
        return
    try:
        with _control() as conn:
            in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            streaming = conn.execute(
                "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'"
            ).fetchone()
    except psycopg.OperationalError as error:
        pytest.fail(f"DATABASE_REPLICA_URL is set but the replica is unreachable: {error}")
    if not (in_recovery and in_recovery[0]):
        pytest.fail("DATABASE_REPLICA_URL names a server that is not a replica (not in recovery)")
    if not (streaming and streaming[0]):
        pytest.fail("the replica is in recovery but not streaming from the primary")


def wait_for_replay(timeout: float = 30.0) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    with _control() as conn:
        while True:
            row = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()
            if row and row[0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica did not replay up to {target} in {timeout} s")
            time.sleep(0.05)


@contextmanager
def replay_paused() -> Iterator[None]:
    """The replica stops applying the primary's changes: it keeps showing what it had."""
    wait_for_replay()
    with _control() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        try:
            while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() != ("paused",):
                time.sleep(0.02)
            yield
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def replica(transactional_db: None) -> Iterator[BaseDatabaseWrapper]:
    """The ``replica`` connection on the real replica's copy of the test database, with the
    router's replica reads on."""
    config = replica_settings()
    if config is None:
        pytest.skip("needs DATABASE_REPLICA_URL (deploy/pg-replica.sh start; .ci/run sets it)")
    connection = connections["replica"]
    mirrored = connection.settings_dict
    connection.close()
    connection.settings_dict = {**config, "NAME": connections["default"].settings_dict["NAME"]}
    wait_for_replay()
    forget_replica_health()
    try:
        # A paused replay lags by the seconds since the last replayed commit: a generous limit
        # keeps these tests on the replica on a slow machine (test_read_replica tests the limit).
        with override_settings(RXPORTAL_REPLICA_READS=True, RXPORTAL_REPLICA_MAX_LAG_SECONDS=3600):
            yield connection
    finally:
        forget_replica_health()
        connection.close()
        connection.settings_dict = mirrored


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@contextmanager
def unreachable_replica(**setting_overrides: Any) -> Iterator[dict[str, Any]]:
    """A ``replica`` alias (as DATABASE_REPLICA_URL adds) whose server does not answer; the
    settings' DATABASES holds only it. Whatever ``replica`` was before (the PostgreSQL run's
    mirror) is put back afterwards."""
    replica = {
        **connections.settings["default"],
        "ENGINE": "django_prometheus.db.backends.postgresql",
        "NAME": "rxportal_replica",
        "USER": "replica-user",
        "PASSWORD": "replica-password-never-shown",
        "HOST": "127.0.0.1",
        "PORT": str(_closed_port()),
        "OPTIONS": {"connect_timeout": 2},
        "TEST": {},
    }
    previous_settings = connections.settings.get("replica")
    previous_wrapper = getattr(connections._connections, "replica", None)
    if previous_wrapper is not None:
        delattr(connections._connections, "replica")
    connections.settings["replica"] = replica
    try:
        with override_settings(DATABASES={"replica": replica}, **setting_overrides):
            yield replica
    finally:
        connections["replica"].close()
        delattr(connections._connections, "replica")
        if previous_settings is None:
            del connections.settings["replica"]
        else:
            connections.settings["replica"] = previous_settings
        if previous_wrapper is not None:
            connections._connections.replica = previous_wrapper
