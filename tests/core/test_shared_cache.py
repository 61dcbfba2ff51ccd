"""The embedded default (no REDIS_URL) keeps its cache where every gunicorn worker sees it.

Rate limits (allauth's, ours), one-use CAPTCHA nonces and used TOTP codes live in the cache: a
per-process cache made each limit as many times looser as there are workers, and let a CAPTCHA
token be answered once per worker. These tests run separate processes with the settings `make
run` uses against one SQLite file, as its workers would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# One "worker": burns a CAPTCHA-style nonce with cache.add, bumps a counter, and spends one try
# of an allauth rate limit (cache.add lock + history list), printing what it saw.
WORKER = """
import django
django.setup()
from allauth.core.internal import ratelimit
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.test import RequestFactory
request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
burned = cache.add("rx:test:nonce", 1, timeout=60)
cache.add("rx:test:counter", 0, timeout=60)
count = cache.incr("rx:test:counter")
allowed = ratelimit.consume(
    request, app="allauth.account", action="rx_test", config={"rx_test": "1/m/ip"}
) is not None
shared = isinstance(caches["default"], DatabaseCache)  # or its metrics-counting subclass
print("DatabaseCache" if shared else caches["default"].__class__.__name__, burned, count, allowed)
"""


def _embedded_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RXPORTAL_"))}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="rxportal.settings.dev",
        DATABASE_URL=f"sqlite:///{database}",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    # A whole `migrate` of a new SQLite file: 86 s alone on a loaded 2-core machine, over 120 s
    # beside another suite; the limit only stops a hung child.
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    """A fresh database made the way `make run` makes it: `migrate` also creates the cache table."""
    env = _embedded_env(tmp_path / "rxportal.sqlite3")
    _run(["manage.py", "migrate", "--no-input", "--verbosity", "0"], env)
    return env


def test_two_processes_share_counters_nonces_and_rate_limits(embedded_env: dict[str, str]) -> None:
    first = _run(["-c", WORKER], embedded_env)
    second = _run(["-c", WORKER], embedded_env)

    assert first == "DatabaseCache True 1 True"
    # The second worker sees the first one's nonce, count and rate-limit history.
    assert second == "DatabaseCache False 2 False"


def test_the_embedded_default_cache_is_the_database_cache() -> None:
    code = "import django; django.setup(); from django.conf import settings as s; " + (
        "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'])"
    )
    env = _embedded_env(Path("/nonexistent/never-opened.sqlite3"))
    backend, location = _run(["-c", code], env).split()
    # Django's database cache, or the subclass that counts its gets for /metrics.
    assert backend in {
        "django.core.cache.backends.db.DatabaseCache",
        "rxportal.operations.instrumented_caches.InstrumentedDatabaseCache",
    }
    assert location == "rxportal_cache"
