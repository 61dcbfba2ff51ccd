"""Two gunicorn nodes behind HAProxy; one is killed (SIGKILL) while a signed-in member browses.

Only on PostgreSQL + Redis: the nodes must share one database and one session store, and
SQLite's file or the local-memory cache of the SQLite run cannot be shared by separate servers.
On that run HAProxy must be installed (``.ci/run`` installs it): the test fails without it.

The harness (nodes, proxy, HTTP sign-in) is bench/webnodes.py, shared with the locust benchmark.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from bench import webnodes

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    not (DATABASE_URL.startswith(("postgres://", "postgresql://")) and REDIS_URL),
    reason="several web nodes need PostgreSQL and Redis to share (DATABASE_URL, REDIS_URL): "
    "SQLite and the local-memory cache of this run cannot be shared by separate servers",
)

DATA_COMMANDS = [
    ["import_reference_data", "--no-progress"],
    ["seed_demo", "--members", "20", "--seed", "1", "--no-progress"],
]
# The browsing that runs while a node dies: idempotent pages only (a form post that reached
# the dying node is not retried by design, see deploy/haproxy.cfg.template).
PAGES = ["/dashboard/", "/claims/", "/drugs/?q=atorvastatin", "/pharmacies/?location=10001"]
BROWSERS = 6
LOAD_SECONDS = 12.0
KILL_AFTER_SECONDS = 4.0


@dataclass(frozen=True)
class Answer:
    at: float
    path: str
    status: int
    node: str
    landed: str
    error: str = ""
    # The first try was cut off by the kill (the dead node had begun its answer, which no proxy
    # can take back) and a reload answered it: "no request lost beyond a retry".
    reloaded: bool = False

    @property
    def ok(self) -> bool:
        return not self.error and self.status == 200 and self.landed == urlsplit(self.path).path


@pytest.fixture
def cluster(django_db_setup: None, tmp_path: Path) -> Iterator[webnodes.Cluster]:
    webnodes.require_haproxy()  # fails (never skips) on the PostgreSQL run

    # A database of its own, migrated: not a copy of pytest's test database, whose role groups
    # the transactional tests' flushes have emptied by the time this runs.
    name = f"rxportal_webnodes_{os.getpid()}"
    prefix = f"rxportal-webnodes-{os.getpid()}"
    database = webnodes.fresh_database(DATABASE_URL, name)
    database_url = database.__enter__()
    commands = [["migrate", "--no-input", "--verbosity", "0"], *DATA_COMMANDS]
    try:
        env = webnodes.node_environment(
            database_url=database_url, redis_url=REDIS_URL, cache_prefix=prefix
        )
        webnodes.run_command(
            [webnodes.PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"], env
        )
        for command in commands:
            webnodes.run_command([webnodes.PYTHON, "manage.py", *command], env)
        with webnodes.web_nodes(env, count=2, workers=2, log_dir=tmp_path) as running:
            yield running
    finally:
        database.__exit__(None, None, None)
        webnodes.forget_redis_keys(REDIS_URL, prefix)


def _browse_until(
    base_url: str, cookies: dict[str, str], stop: threading.Event, started: float
) -> list[Answer]:
    """One browser tab of the signed-in member: the pages in turn until ``stop``."""
    session = webnodes.proxy_session(base_url)
    session.cookies.update(cookies)
    answers = []
    index = 0
    while not stop.is_set():
        path = PAGES[index % len(PAGES)]
        index += 1
        at = time.monotonic() - started
        reloaded = False
        try:
            try:
                response = session.get(path)
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
                # SIGKILL while node1 wrote this answer: its start already went out through
                # HAProxy, so only the client can try again, as a person reloads the page.
                reloaded = True
                response = session.get(path)
        except Exception as exc:  # the client saw the failure: that is what is counted
            answers.append(Answer(at, path, 0, "", "", error=type(exc).__name__))
            continue
        answers.append(
            Answer(
                at,
                path,
                response.status_code,
                response.headers.get("X-Rx-Node", ""),
                urlsplit(response.url).path,
                reloaded=reloaded,
            )
        )
    return answers


def test_a_node_killed_mid_run_loses_no_request_and_no_session(
    cluster: webnodes.Cluster,
) -> None:
    member = webnodes.proxy_session(cluster.base_url)
    landed = webnodes.sign_in(
        member, username=webnodes.DEMO_MEMBER_USERNAME, password=webnodes.DEMO_MEMBER_PASSWORD
    )
    assert landed == "/dashboard/"
    cookies = member.cookies.get_dict()

    stop = threading.Event()
    started = time.monotonic()
    with ThreadPoolExecutor(BROWSERS) as pool:
        tabs = [
            pool.submit(_browse_until, cluster.base_url, cookies, stop, started)
            for _ in range(BROWSERS)
        ]
        time.sleep(KILL_AFTER_SECONDS)
        killed_at = time.monotonic() - started
        cluster.node("node1").kill()
        cluster.wait_until({"node1": "DOWN", "node2": "UP"})
        marked_down_at = time.monotonic() - started
        time.sleep(max(0.0, LOAD_SECONDS - marked_down_at))
        stop.set()
        answers = [answer for tab in tabs for answer in tab.result()]

    failed = [answer for answer in answers if not answer.ok]
    assert failed == [], f"{len(failed)} of {len(answers)} requests failed: {failed[:5]}"
    # Only an answer node1 was writing when it died needs the reload: one per tab at most,
    # each started before node1 was out of the rotation.
    reloads = [answer for answer in answers if answer.reloaded]
    assert len(reloads) <= BROWSERS, reloads
    assert all(answer.at < marked_down_at for answer in reloads), reloads
    before = {answer.node for answer in answers if answer.at < killed_at - 0.5}
    after = {answer.node for answer in answers if answer.at > marked_down_at + 0.5}
    assert before == {"node1", "node2"}, "both nodes served before the kill"
    assert after == {"node2"}, "only the live node serves once the dead one is out"
    assert sum(1 for answer in answers if answer.at > killed_at) >= BROWSERS, "load went on"
    # The requests that met the dead node were tried again on the live one, and answered.
    proxied = cluster.proxy_lines()
    retried = [line for line in proxied if line["retries"] not in {"0", "+0"}]
    assert retried, "some requests met the dead node and were retried"
    assert all(line["status"] == "200" and line["srv"] == "node2" for line in retried)

    # The session made (partly) on node1 lives on: still signed in, now on node2.
    again = member.get("/dashboard/")
    assert (again.status_code, urlsplit(again.url).path) == (200, "/dashboard/")
    assert again.headers["X-Rx-Node"] == "node2"
    assert 'action="/accounts/logout/"' in again.text
