"""What every benchmark here shares: Django set-up against a local database, a fresh database,
the environment of a portal server, gunicorn started and waited for, percentiles, timing,
waiting for a quiet machine and a description of the machine for docs/benchmarks.md.

Scripts run as ``python bench/<name>.py``, so this module is importable as ``benchlib``; the
tests import it as ``bench.benchlib`` (their browser server, the gunicorn tests and the web-node
tests use the same start-up as the benchmarks). Standard library only at import time.
"""

from __future__ import annotations

import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")

BASE_DIR = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The virtualenv's gunicorn, beside the Python running this (the tests' and the scripts').
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
STARTUP_TIMEOUT_SECONDS = 60


def require_loopback(url: str, *, schemes: set[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise SystemExit(f"{url!r}: expected a {' or '.join(sorted(schemes))}:// URL")
    if (parts.hostname or "") not in LOOPBACK_HOSTS:
        raise SystemExit(f"the service must be on this machine, got {parts.hostname!r}")


@contextmanager
def fresh_database(
    server_url: str, name: str, *, template: str = "", keep: bool = False
) -> Iterator[str]:
    """A new database on the local PostgreSQL server, dropped afterwards (also on failure)
    unless ``keep``. ``template``: copy that (migrated, idle) database instead of starting
    empty, which saves the minute ``migrate`` takes; nobody may be connected to it meanwhile.
    A script that used it through Django has its connections closed first."""
    import psycopg
    from psycopg import sql

    require_loopback(server_url, schemes={"postgres", "postgresql"})
    parts = urlsplit(server_url)
    maintenance_url = urlunsplit(parts._replace(path="/postgres"))
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(drop)
        connection.execute(create)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        if "django.db" in sys.modules:
            from django.conf import settings
            from django.db import connections

            if settings.configured:
                connections.close_all()
        if not keep:
            with psycopg.connect(maintenance_url, autocommit=True) as connection:
                connection.execute(drop)


def server_environment(
    *, database_url: str, redis_url: str, cache_prefix: str, **extra: str
) -> dict[str, str]:
    """The environment of a portal server (and of its set-up commands) on this database and
    Redis: development settings (DEBUG off, the production hasher), this run's key prefix and
    a secret key of its own, none of the caller's DJANGO_/RXPORTAL_ variables; ``extra`` on
    top. Servers given the same dict share sessions."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "RXPORTAL_")) and key not in {"DATABASE_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="rxportal.settings.dev",
        RXPORTAL_ENV="development",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        RXPORTAL_CACHE_PREFIX=cache_prefix,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        RXPORTAL_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def forget_redis_keys(redis_url: str, prefix: str) -> int:
    """Delete the sessions and cache entries a run wrote (only under its own prefix)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    deleted = 0
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        deleted += int(client.delete(key))
    return deleted


# --- gunicorn: started, waited for, stopped -----------------------------------------------------


class ServerDidNotStart(RuntimeError):
    """The process exited or did not answer in time; the message ends with its log's tail."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch_gunicorn(
    env: dict[str, str],
    *,
    port: int,
    log_path: Path,
    workers: int = 2,
    extra_args: Sequence[str] = (),
    own_process_group: bool = False,
) -> subprocess.Popen[bytes]:
    """gunicorn serving ``rxportal.wsgi`` on 127.0.0.1:``port`` with gunicorn.conf.py, its
    stdout and stderr into ``log_path``. Returns at once (several can start side by side);
    ``own_process_group``: a SIGKILL to the group takes the workers too, as a host dying would."""
    command = [
        *(GUNICORN, "rxportal.wsgi", "--bind", f"127.0.0.1:{port}"),
        *("--workers", str(workers), "--graceful-timeout", "5", *extra_args),
    ]
    with log_path.open("w") as log:
        return subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=own_process_group,
        )


def wait_until_answering(
    base_url: str,
    process: subprocess.Popen[bytes],
    log_path: Path,
    *,
    path: str = "/healthz",
    healthy_only: bool = True,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> None:
    """Until ``path`` answers 200 (any status, unless ``healthy_only``); raises
    ``ServerDidNotStart`` when the process exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise ServerDidNotStart(f"{base_url}: the process exited:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base_url}{path}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except urllib.error.HTTPError:
            if not healthy_only:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise ServerDidNotStart(f"{base_url} did not answer {path}:\n{_tail(log_path)}")
        time.sleep(0.2)


def stop_process(process: subprocess.Popen[bytes], *, process_group: bool = False) -> None:
    """SIGTERM (to its group when it has its own), then SIGKILL after 15 s: on a loaded
    machine, do not wait for stragglers."""
    if process.poll() is not None:
        return

    def send(signal_number: int) -> None:
        with suppress(ProcessLookupError):
            if process_group:
                os.killpg(process.pid, signal_number)
            else:
                process.send_signal(signal_number)

    send(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def gunicorn_serving(
    env: dict[str, str],
    *,
    log_path: Path,
    workers: int = 2,
    extra_args: Sequence[str] = (),
    path: str = "/healthz",
    healthy_only: bool = True,
) -> Iterator[str]:
    """gunicorn on a free loopback port until ``path`` answers; yields its base URL, stops it
    afterwards."""
    port = free_port()
    process = launch_gunicorn(
        env, port=port, log_path=log_path, workers=workers, extra_args=extra_args
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(base_url, process, log_path, path=path, healthy_only=healthy_only)
        yield base_url
    finally:
        stop_process(process)


def _tail(log_path: Path) -> str:
    with suppress(OSError):
        return log_path.read_text(errors="replace")[-5000:]
    return ""


def setup_django(
    database_url: str, *, redis_url: str = "", extra_env: dict[str, str] | None = None
) -> None:
    """Development settings (DEBUG off) against this database, and Redis when given; both must
    be on this machine (a benchmark never loads someone else's server). ``extra_env``: more
    ``RXPORTAL_*`` settings, e.g. a cache prefix of the run's own."""
    require_loopback(database_url, schemes={"postgres", "postgresql"})
    if redis_url:
        require_loopback(redis_url, schemes={"redis"})
    sys.path.insert(0, str(BASE_DIR))
    for key in [k for k in os.environ if k.startswith(("DJANGO_", "RXPORTAL_", "REDIS_"))]:
        del os.environ[key]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="rxportal.settings.dev",
        RXPORTAL_ENV="development",
        DATABASE_URL=database_url,
        RXPORTAL_LOG_LEVEL="WARNING",
    )
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    os.environ.update(extra_env or {})
    import django

    django.setup()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "mean": statistics.fmean(values),
    }


def timed(call: Callable[[], T]) -> tuple[T, float]:
    """The call's result and its wall time in milliseconds."""
    started = time.perf_counter_ns()
    result = call()
    return result, (time.perf_counter_ns() - started) / 1e6


def wait_for_quiet_machine(max_load: float, patience_seconds: float = 1800) -> None:
    """On a shared machine: wait until the 1-minute load average drops below ``max_load``."""
    deadline = time.monotonic() + patience_seconds
    while (load := os.getloadavg()[0]) >= max_load:
        if time.monotonic() > deadline:
            raise SystemExit(f"the load average stayed at {load:.1f} (>= {max_load}); try later")
        print(f"load average {load:.1f} >= {max_load}: waiting...", file=sys.stderr)
        time.sleep(20)


def machine_description() -> dict[str, str]:
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GB"
    commit = ""
    with suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    return {
        "cpu": f"{model or platform.processor()}, {os.cpu_count()} CPUs",
        "memory": memory,
        "python": platform.python_version(),
        "commit": commit,
    }


def format_row(label: str, values: dict[str, float], width: int = 52) -> str:
    return f"{label:<{width}} " + " ".join(
        f"{values[key]:>7.2f}" for key in ("p50", "p95", "p99", "mean")
    )


def markdown_cells(values: dict[str, float]) -> str:
    return " | ".join(f"{values[key]:.2f}" for key in ("p50", "p95", "p99", "mean"))


def install_bare_view() -> None:
    """Serve the portal's URLs plus /bench/bare/, the baseline every page is compared with: a
    view that reads the session and the user's row (the floor every signed-in page pays)."""
    import types

    from django.conf import settings
    from django.http import HttpRequest, HttpResponse
    from django.urls import clear_url_caches, include, path

    def bare(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(request.user.pk), content_type="text/plain")

    module = types.ModuleType("bench_bare_view_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("bench/bare/", bare),
        path("", include("rxportal.urls")),
    ]
    module.handler429 = "rxportal.accounts.views.common.rate_limited"  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()
