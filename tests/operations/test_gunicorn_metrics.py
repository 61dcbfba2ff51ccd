"""Under gunicorn with several workers, /metrics merges every worker's counts (multiprocess
mode, set up by gunicorn.conf.py), whichever worker answers the scrape."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
HEALTHZ_COUNT = re.compile(
    r'^django_http_requests_total_by_view_transport_method_total\{[^}]*view="healthz"[^}]*\} '
    r"([0-9.e+]+)$",
    re.MULTILINE,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def two_worker_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    metrics_dir = tmp_path / "prometheus"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RXPORTAL_"))}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="rxportal.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            GUNICORN,
            "rxportal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--graceful-timeout",
            "5",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base_url}/metrics")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail((tmp_path / "gunicorn.log").read_text()[-3000:])
                time.sleep(0.25)
        yield base_url, metrics_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a loaded machine: do not wait for stragglers
            process.kill()
            process.wait(timeout=5)
        log.close()


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
