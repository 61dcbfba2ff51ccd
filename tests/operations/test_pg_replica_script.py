"""deploy/pg-replica.sh stop: it takes back the pg_hba line its start added, and only that one.

Run against a scratch pg_hba.conf and ports where nothing listens: no server is stopped, no
slot dropped, nothing reloaded (the script says the primary did not answer).
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "deploy" / "pg-replica.sh"
OURS = "host replication all 127.0.0.1/32 trust  # added by rxportal deploy/pg-replica.sh"
OPERATORS = "host    replication     all     127.0.0.1/32    trust"
BASE = "local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\n"


def _closed_port() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def _stop(tmp_path: Path, hba: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRIMARY_HBA": str(hba),
        "PRIMARY_PORT": _closed_port(),
        "REPLICA_PORT": _closed_port(),
        "REPLICA_DIR": str(tmp_path / "replica"),
    }
    result = subprocess.run(
        ["bash", str(SCRIPT), "stop"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result


def test_stop_removes_the_line_start_added_and_keeps_the_rest(tmp_path: Path) -> None:
    hba = tmp_path / "pg_hba.conf"
    hba.write_text(f"{BASE}{OPERATORS}\n{OURS}\n")

    result = _stop(tmp_path, hba)

    assert hba.read_text() == f"{BASE}{OPERATORS}\n"
    assert "removed 'host replication all 127.0.0.1/32 trust'" in result.stderr


def test_stop_leaves_a_file_without_its_line_untouched(tmp_path: Path) -> None:
    hba = tmp_path / "pg_hba.conf"
    hba.write_text(f"{BASE}{OPERATORS}\n")

    _stop(tmp_path, hba)

    assert hba.read_text() == f"{BASE}{OPERATORS}\n"
