"""Under gunicorn with several workers, /metrics merges every worker's counts (multiprocess
mode, set up by gunicorn.conf.py), whichever worker answers the scrape."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.benchlib import gunicorn_serving
from tests.operations.gunicorn_support import bare_server_environment

HEALTHZ_COUNT = re.compile(
    r'^django_http_requests_total_by_view_transport_method_total\{[^}]*view="healthz"[^}]*\} '
    r"([0-9.e+]+)$",
    re.MULTILINE,
)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def two_worker_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    env = bare_server_environment(tmp_path)
    metrics_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])
    # Any answer will do: /healthz is a 503 here (no cache table), still a request to count.
    with gunicorn_serving(
        env, log_path=tmp_path / "gunicorn.log", path="/metrics", healthy_only=False
    ) as base_url:
        yield base_url, metrics_dir


def _worker_pids_with_files(metrics_dir: Path) -> set[str]:
    return {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}


def test_every_scrape_counts_every_workers_requests(two_worker_server: tuple[str, Path]) -> None:
    base_url, metrics_dir = two_worker_server
    sent = 0
    # Until both workers have answered something (each connection goes to whichever accepts).
    while sent < 10 or len(_worker_pids_with_files(metrics_dir)) < 2:
        _get(f"{base_url}/healthz")  # 503 here (no cache table): still a request to count
        sent += 1
        assert sent < 500, "one worker answered everything"

    counts = []
    for _ in range(6):
        status, text = _get(f"{base_url}/metrics")
        assert status == 200
        counts.append(sum(float(value) for value in HEALTHZ_COUNT.findall(text)))

    assert counts == [sent] * 6
