"""The environment the gunicorn tests here start the portal with."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def bare_server_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A gunicorn of the portal on an empty (unmigrated) SQLite database, without Redis:
    enough to start, serve /metrics and answer /healthz with a 503 (no cache table)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RXPORTAL_"))}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="rxportal.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        **extra,
    )
    return env
