"""With RXPORTAL_LOG_FORMAT=json, gunicorn's own lines (start-up, workers, shut-down, and the
access log when on) are JSON objects like the portal's, and so are Python's warnings: every line
a server writes parses. (No collectstatic here: WhiteNoise warns, which proves the last point.)"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.benchlib import gunicorn_serving
from tests.operations.gunicorn_support import bare_server_environment


def _get(url: str) -> str:
    """The X-Request-ID the portal answered with, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return str(response.headers["X-Request-ID"])
    except urllib.error.HTTPError as error:
        return str(error.headers["X-Request-ID"])


def _json_lines(path: Path) -> list[dict[str, Any]]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return records


def test_every_line_gunicorn_writes_is_json(tmp_path: Path) -> None:
    env = bare_server_environment(tmp_path, RXPORTAL_LOG_FORMAT="json", RXPORTAL_LOG_LEVEL="INFO")
    server_log = tmp_path / "server.log"  # stdout and stderr
    access_log = tmp_path / "access.log"
    with gunicorn_serving(
        env,
        log_path=server_log,
        extra_args=("--access-logfile", str(access_log)),
        path="/metrics",
        healthy_only=False,
    ) as base_url:
        # A 503 (no cache table in this empty database: Django logs an error line) and a 200.
        request_ids = [_get(f"{base_url}/healthz"), _get(f"{base_url}/metrics")]
    # Stopped: the shut-down lines are in too.

    records = _json_lines(server_log)
    gunicorn_lines = [r for r in records if r["logger"] == "gunicorn.error"]
    messages = " | ".join(r["message"] for r in gunicorn_lines)
    assert "Starting gunicorn" in messages
    assert "Booting worker" in messages
    assert "Shutting down" in messages
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert set(request_ids) <= {
        r["request_id"] for r in records if r["logger"] == "rxportal.access"
    }

    access = _json_lines(access_log)
    assert {r["logger"] for r in access} == {"gunicorn.access"}
    # The portal's id, the same one its own access line has, so the two can be joined.
    assert set(request_ids) <= {r["request_id"] for r in access}
    assert any('"GET /healthz HTTP/1.1" 503' in r["message"] for r in access)
