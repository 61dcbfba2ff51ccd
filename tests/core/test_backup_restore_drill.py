"""The backup and restore drill of docs/operations.md ("Backups and restore"), on PostgreSQL.

Seed members, claims and audit events; ``pg_dump -Fc`` the database; ``pg_restore`` it into a
fresh one; check the restored copy as an operator would: ``manage.py verify_audit_chain``
against it, and its claim counts against the original. PostgreSQL only (the production engine):
on SQLite it is skipped, and the PostgreSQL run of .ci/run runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from rxportal.audit.models import AuditEvent
from rxportal.audit.services import record_event
from rxportal.claims.models import Claim
from rxportal.members.models import Member
from tests.conftest import Family
from tests.factories import ClaimFactory

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the drill is pg_dump / pg_restore: PostgreSQL only (docs/operations.md)",
    ),
    pytest.mark.django_db(transaction=True),
]

MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"
CLAIM_COUNTS = "SELECT status, count(*) FROM claims_claim GROUP BY status ORDER BY status"


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"the drill needs {name} (Debian: postgresql-client)"  # fail, never skip
    return path


def _server_args(config: dict[str, Any]) -> list[str]:
    return [
        "-h",
        config["HOST"] or "127.0.0.1",
        "-p",
        str(config["PORT"] or 5432),
        "-U",
        config["USER"],
    ]


def _connect(config: dict[str, Any], dbname: str) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 5432),
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
    )


@pytest.fixture
def restored_name() -> Iterator[str]:
    """The name of a fresh database the backup is restored into; dropped afterwards."""
    config = connections["default"].settings_dict
    name = f"restore_drill_{uuid.uuid4().hex[:12]}"
    with _connect(config, "postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _connect(config, "postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _verify_audit_chain(config: dict[str, Any], dbname: str) -> subprocess.CompletedProcess[str]:
    """``manage.py verify_audit_chain`` in its own process, pointed at ``dbname``."""
    url = f"postgres://{config['USER']}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{dbname}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "rxportal.settings.test"}
    env.pop("DATABASE_REPLICA_URL", None)
    env.pop("DJANGO_READ_DOT_ENV", None)
    return subprocess.run(
        [sys.executable, str(MANAGE_PY), "verify_audit_chain"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_backup_restores_with_its_audit_chain_and_claims(
    family: Family, restored_name: str, tmp_path: Path
) -> None:
    for member in (family.subscriber, family.spouse, family.minor_child):
        ClaimFactory.create_batch(3, member=member)
    ClaimFactory(member=family.adult_child, rejected=True)
    for number in range(5):
        record_event(action="drill.seeded", outcome="success", details={"n": number})
    events = AuditEvent.objects.count()
    with connections["default"].cursor() as cursor:
        cursor.execute(CLAIM_COUNTS)
        claim_counts = cursor.fetchall()
    assert sum(count for _, count in claim_counts) == Claim.objects.count() == 10

    config = connections["default"].settings_dict
    backup = tmp_path / "rxportal.dump"
    subprocess.run(
        [
            _pg_tool("pg_dump"),
            *_server_args(config),
            "-Fc",
            "-d",
            config["NAME"],
            "-f",
            str(backup),
        ],
        check=True,
        timeout=300,
    )
    subprocess.run(
        [
            _pg_tool("pg_restore"), *_server_args(config), "--no-owner", "--exit-on-error",
            "-d", restored_name, str(backup),
        ],
        check=True,
        timeout=300,
    )  # fmt: skip

    verified = _verify_audit_chain(config, restored_name)
    assert verified.returncode == 0, verified.stderr
    assert f"audit chain OK: {events} events" in verified.stdout
    with _connect(config, restored_name) as restored:
        assert restored.execute(CLAIM_COUNTS).fetchall() == claim_counts
        assert restored.execute("SELECT count(*) FROM members_member").fetchone() == (
            Member.objects.count(),
        )

    # The verifier read the restored copy: an event changed there (triggers off, as an attacker
    # with the database's keys would) breaks it there, and the original stays intact.
    with _connect(config, restored_name) as restored:
        restored.execute("SET session_replication_role = replica")
        restored.execute("UPDATE audit_auditevent SET reason = 'edited' WHERE sequence = 2")
    tampered = _verify_audit_chain(config, restored_name)
    assert tampered.returncode == 1
    assert "BROKEN at sequence 2" in tampered.stderr
