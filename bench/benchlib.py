"""What every benchmark here shares: Django set-up against a local database, percentiles,
timing, waiting for a quiet machine and a description of the machine for docs/benchmarks.md.

Scripts run as ``python bench/<name>.py``, so this module is importable as ``benchlib``.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

BASE_DIR = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def require_loopback(url: str, *, schemes: set[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise SystemExit(f"{url!r}: expected a {' or '.join(sorted(schemes))}:// URL")
    if (parts.hostname or "") not in LOOPBACK_HOSTS:
        raise SystemExit(f"the service must be on this machine, got {parts.hostname!r}")


def setup_django(database_url: str, *, redis_url: str = "") -> None:
    """Development settings (DEBUG off) against this database, and Redis when given."""
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
