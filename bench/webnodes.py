"""Several web nodes behind HAProxy on loopback, for the node-failure test and the load test.

    .venv/bin/python bench/webnodes.py --users 200 --seconds 60 --markdown

What a cluster is here (``web_nodes``): two or more gunicorn processes serving ``rxportal.wsgi``
with development settings (DEBUG off, the production hasher), each on its own loopback port and
in its own process group (so a SIGKILL takes the master and its workers, as a host dying would),
all on one PostgreSQL database and one Redis (sessions, cache, rate limits), and HAProxy
(Debian's /usr/sbin/haproxy) in front, configured from deploy/haproxy.cfg.template: /healthz
checks, L7 retries of idempotent requests with ``option redispatch``, a response header naming
the node that answered, one log line per request (node, status, retries) kept in a file.

Run as a script it is the locust benchmark (bench/README.md): a fresh database, demo data, bench
members and clients with the sign-in data the real flows use (verified email, SiteKey, the demo
authenticator secret, a remembered device: no challenge question, no bypass), two nodes, then
``.venv/bin/locust`` headless (a subprocess: locust patches gevent on import) with
bench/locustfile.py, and the p95 of every page.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Imported by the tests as bench.webnodes; run as a script, the repository is put on the path so
# that benchlib is bench.benchlib either way.
if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchlib import (
    BASE_DIR,
    LOOPBACK_HOSTS,
    ServerDidNotStart,
    forget_redis_keys,
    free_port,
    fresh_database,
    launch_gunicorn,
    machine_description,
    server_environment,
    stop_process,
    wait_until_answering,
)

PYTHON = str(BASE_DIR / ".venv" / "bin" / "python")
LOCUST = str(BASE_DIR / ".venv" / "bin" / "locust")
HAPROXY = "/usr/sbin/haproxy"
HAPROXY_TEMPLATE = BASE_DIR / "deploy" / "haproxy.cfg.template"
COMMAND_TIMEOUT_SECONDS = 600
# HAProxy checks each node this often (three failed checks take it out; a refused connection
# at once, see deploy/haproxy.cfg.template).
CHECK_INTERVAL = "1s"

# The development demo sign-in data (rxportal.accounts.services.demo, published in the README).
DEMO_MEMBER_USERNAME = "demo-member"
DEMO_MEMBER_PASSWORD = "Demo-Member-Passphrase-2026"  # noqa: S105 - published demo account
DEMO_CHALLENGE_ANSWER = "blue heron"
DEMO_TOTP_SECRET = "RXPORTALDEMOMEMBERTOTPSECRETAAAA"  # noqa: S105 - published demo secret
BENCH_PASSWORD = "Bench-WebNodes-Passphrase-2026"  # noqa: S105 - bench users, database dropped
BENCH_PREFIX = "bench-nodes-"

DATA_COMMANDS: list[list[str]] = [
    ["import_reference_data", "--no-progress"],
    ["seed_demo", "--members", "20", "--seed", "1", "--no-progress"],
    ["seed_hub"],
]


class HarnessError(RuntimeError):
    """Set-up failed (a command, a process that did not start); the message says which."""


def require_haproxy() -> str:
    if not os.access(HAPROXY, os.X_OK):
        raise HarnessError(f"{HAPROXY} is missing: apt-get install -y haproxy")
    return HAPROXY


def require_loopback(url: str) -> None:
    if (urlsplit(url).hostname or "") not in LOOPBACK_HOSTS:
        raise HarnessError(f"only services on this machine (127.0.0.1) are used, got {url!r}")


def run_command(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        command,
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise HarnessError(
            f"`{' '.join(command)}` failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
        )
    return result.stdout


# --- Database and environment -------------------------------------------------------------------


def node_environment(
    *, database_url: str, redis_url: str, cache_prefix: str, **extra: str
) -> dict[str, str]:
    """What every node (and the set-up commands) runs with: the same database, Redis, key prefix
    and secret key, so a session made on one node is valid on every other."""
    require_loopback(database_url)
    require_loopback(redis_url)
    return server_environment(
        database_url=database_url,
        redis_url=redis_url,
        cache_prefix=cache_prefix,
        # HAProxy is the one proxy in front: the client address comes from X-Forwarded-For.
        RXPORTAL_TRUSTED_PROXY_COUNT="1",
        # No Celery worker runs beside these nodes: tasks run in the request.
        RXPORTAL_TASKS_INLINE="1",
        **extra,
    )


def prepare_database(env: dict[str, str], data_commands: list[list[str]]) -> None:
    run_command([PYTHON, "manage.py", "migrate", "--no-input", "--verbosity", "0"], env)
    run_command([PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"], env)
    for command in data_commands:
        run_command([PYTHON, "manage.py", *command], env)


# --- Nodes and proxy ---------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def kill(self) -> None:
        """SIGKILL to the master and its workers at once, as if the host had died."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.process, process_group=True)


@dataclass
class Cluster:
    base_url: str
    nodes: list[Node]
    proxy: subprocess.Popen[bytes]
    proxy_log: Path
    stats_socket: Path
    env: dict[str, str] = field(repr=False)

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def proxy_lines(self) -> list[dict[str, str]]:
        """HAProxy's request log: one dict per request (srv, status, retries, tt, method)."""
        lines = []
        for line in self.proxy_log.read_text(errors="replace").splitlines():
            if line.startswith("rx "):
                lines.append(dict(part.split("=", 1) for part in line.split()[1:]))
        return lines

    def server_states(self) -> dict[str, str]:
        """Each node's state as HAProxy sees it ("UP", "DOWN", ...), from the stats socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(self.stats_socket))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        rows = csv.DictReader(data.decode().lstrip("# ").splitlines())
        return {
            row["svname"]: row["status"]
            for row in rows
            if row["pxname"] == "web_nodes" and row["svname"] not in {"BACKEND", "FRONTEND"}
        }

    def wait_until(self, wanted: dict[str, str], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while (states := self.server_states()) and any(
            states.get(name) != state for name, state in wanted.items()
        ):
            if time.monotonic() > deadline:
                raise HarnessError(f"HAProxy sees {states}, expected {wanted}")
            time.sleep(0.1)


def render_haproxy_config(
    *, bind_port: int, nodes: list[tuple[str, int]], stats_socket: Path, node_maxconn: int
) -> str:
    servers = "\n".join(f"    server {name} 127.0.0.1:{port} check" for name, port in nodes)
    return string.Template(HAPROXY_TEMPLATE.read_text()).substitute(
        bind=f"127.0.0.1:{bind_port}",
        stats_socket=str(stats_socket),
        health_host="127.0.0.1",
        check_interval=CHECK_INTERVAL,
        node_maxconn=node_maxconn,
        servers=servers,
    )


def _wait_for_health(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    try:
        wait_until_answering(url, process, log_path)
    except ServerDidNotStart as error:
        raise HarnessError(str(error)) from error


def launch_node(env: dict[str, str], *, name: str, workers: int, log_dir: Path) -> Node:
    """Starts gunicorn (not waiting for it: nodes start side by side)."""
    port = free_port()
    log_path = log_dir / f"{name}.log"
    process = launch_gunicorn(
        env, port=port, log_path=log_path, workers=workers, own_process_group=True
    )
    return Node(name=name, port=port, process=process, log_path=log_path)


@contextmanager
def web_nodes(
    env: dict[str, str], *, count: int = 2, workers: int = 2, log_dir: Path
) -> Iterator[Cluster]:
    """``count`` gunicorn nodes and HAProxy in front, all on loopback; stopped afterwards."""
    require_haproxy()
    nodes: list[Node] = []
    proxy: subprocess.Popen[bytes] | None = None
    try:
        for index in range(count):
            nodes.append(
                launch_node(env, name=f"node{index + 1}", workers=workers, log_dir=log_dir)
            )
        for node in nodes:
            _wait_for_health(f"http://127.0.0.1:{node.port}", node.process, node.log_path)
        port = free_port()
        stats_socket = log_dir / "haproxy.sock"
        config = log_dir / "haproxy.cfg"
        config.write_text(
            render_haproxy_config(
                bind_port=port,
                nodes=[(node.name, node.port) for node in nodes],
                stats_socket=stats_socket,
                node_maxconn=workers,
            )
        )
        run_command([HAPROXY, "-c", "-q", "-f", str(config)], env)
        proxy_log = log_dir / "haproxy.log"
        with proxy_log.open("w") as log:
            proxy = subprocess.Popen(
                [HAPROXY, "-db", "-f", str(config)],
                cwd=BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        cluster = Cluster(
            base_url=f"http://127.0.0.1:{port}",
            nodes=nodes,
            proxy=proxy,
            proxy_log=proxy_log,
            stats_socket=stats_socket,
            env=env,
        )
        _wait_for_health(cluster.base_url, proxy, proxy_log)
        cluster.wait_until(dict.fromkeys((node.name for node in nodes), "UP"))
        yield cluster
    finally:
        if proxy is not None:
            proxy.terminate()
            with suppress(subprocess.TimeoutExpired):
                proxy.wait(timeout=10)
            if proxy.poll() is None:
                proxy.kill()
        for node in nodes:
            node.stop()


# --- Signing in over HTTP, as a browser does ----------------------------------------------------

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def totp_code(secret: str = DEMO_TOTP_SECRET, *, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), what an authenticator app shows."""
    import base64
    import hashlib
    import hmac
    import struct

    step = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    if match is None:
        raise HarnessError("the page has no form token")
    return match.group(1)


def _sign_in_step(page: Any) -> str:
    """The sign-in step a page is: the username POST answers with the next step's page itself
    (still at /accounts/login/), a right answer to the question redirects to the password's."""
    path = urlsplit(page.url).path
    for step in ("/accounts/login/question/", "/accounts/login/password/"):
        if path == step or f'action="{step}"' in page.text:
            return step
    return path


def sign_in(
    client: Any,
    *,
    username: str,
    password: str,
    answer: str = DEMO_CHALLENGE_ANSWER,
    totp_secret: str = DEMO_TOTP_SECRET,
) -> str:
    """Every step a browser takes: username, the challenge question when the browser is not
    recognized, password (with the SiteKey page), the authenticator code when asked. ``client``
    is a requests-like session whose paths are relative (``ProxySession`` or locust's). Returns
    the path signed in to; raises ``HarnessError`` if any step does not lead on."""
    page = client.get("/accounts/login/", name="sign-in: username page")
    page.raise_for_status()
    page = client.post(
        "/accounts/login/",
        data={"username": username, "csrfmiddlewaretoken": csrf_token(page.text)},
        name="sign-in: username",
    )
    page.raise_for_status()
    if _sign_in_step(page) == "/accounts/login/question/":
        page = client.post(
            "/accounts/login/question/",
            data={
                "action": "answer",
                "answer": answer,
                "csrfmiddlewaretoken": csrf_token(page.text),
            },
            name="sign-in: question",
        )
        page.raise_for_status()
    if _sign_in_step(page) != "/accounts/login/password/":
        raise HarnessError(f"expected the password step, got {urlsplit(page.url).path}")
    page = client.post(
        "/accounts/login/password/",
        data={"password": password, "csrfmiddlewaretoken": csrf_token(page.text)},
        name="sign-in: password",
    )
    page.raise_for_status()
    if urlsplit(page.url).path.startswith("/accounts/2fa/") or 'name="code"' in page.text:
        page = client.post(
            urlsplit(page.url).path,
            data={"code": totp_code(totp_secret), "csrfmiddlewaretoken": csrf_token(page.text)},
            name="sign-in: code",
        )
        page.raise_for_status()
    landed = urlsplit(page.url).path
    if landed.startswith(("/accounts/", "/mfa/")):
        raise HarnessError(f"sign-in stopped at {landed}")
    return landed


def proxy_session(base_url: str) -> Any:
    """A requests session that takes paths relative to ``base_url`` (as locust's does) and
    ignores locust's ``name=`` keyword."""
    import requests

    class ProxySession(requests.Session):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            kwargs.pop("name", None)
            kwargs.setdefault("timeout", 30)
            return super().request(
                method, base_url + url if url.startswith("/") else url, *args, **kwargs
            )

    return ProxySession()


# --- The locust benchmark ------------------------------------------------------------------------


def create_bench_users(members: int, clients: int, out_path: str) -> None:
    """Runs inside the nodes' environment (``--create-users``): bench members linked to seeded
    subscribers and bench client users linked to the demo client's plan sponsor, each with the
    sign-in data the real flows read (``prepare_demo_security``: verified email, SiteKey,
    challenge answers and, for members, the demo authenticator secret) and one remembered
    device, whose signed cookie the load user presents, as a returning browser does."""
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.test import RequestFactory

    from rxportal.accounts.models import Role, User
    from rxportal.accounts.services.demo import prepare_demo_security
    from rxportal.accounts.services.devices import remember_device
    from rxportal.clients import services as client_services
    from rxportal.clients.domain import Tool
    from rxportal.clients.models import ClientLink
    from rxportal.core import clock
    from rxportal.members.models import Member

    request = RequestFactory().get(
        "/", HTTP_USER_AGENT="bench/webnodes.py", REMOTE_ADDR="127.0.0.1"
    )
    encoded = make_password(BENCH_PASSWORD)  # the production hasher; one hash for all
    now = clock.now()
    agent = User.objects.get(username="demo-accountteam")
    sponsor = ClientLink.objects.select_related("client").get(user__username="demo-client").client
    subscribers = list(
        Member.objects.filter(subscriber__isnull=True, user__isnull=True).order_by("pk")[:members]
    )
    if len(subscribers) < members:
        raise HarnessError(f"only {len(subscribers)} subscribers to link; seed more members")
    out: dict[str, Any] = {"device_cookie": settings.RXPORTAL_DEVICE_COOKIE_NAME}
    out["members"], out["clients"] = [], []
    with transaction.atomic():
        for index, member in enumerate(subscribers):
            user = User.objects.create(
                username=f"{BENCH_PREFIX}m{index:04d}",
                email=f"{BENCH_PREFIX}m{index:04d}@bench.invalid",
                role=Role.MEMBER,
                password=encoded,
            )
            member.user = user
            member.save(update_fields=["user", "updated_at"])
            prepare_demo_security(user=user)
            _device, cookie = remember_device(user=user, request=request, now=now)
            out["members"].append({"username": user.username, "device": cookie})
        for index in range(clients):
            user = User.objects.create(
                username=f"{BENCH_PREFIX}c{index:04d}",
                email=f"{BENCH_PREFIX}c{index:04d}@bench.invalid",
                role=Role.CLIENT,
                password=encoded,
            )
            prepare_demo_security(user=user)
            user = User.objects.get(pk=user.pk)  # a fresh permission cache after the group
            client_services.link_user_to_client(
                user=user, client=sponsor, actor=agent, method="called_contact", now=now
            )
            access = client_services.submit_access_request(
                requester=user,
                client=sponsor,
                tool=Tool.DRUG_TREND,
                business_reason="Bench: load test of the client pages.",
                now=now,
            )
            client_services.decide_access_request(
                access_request=access,
                actor=agent,
                approve=True,
                reason="Bench: load test.",
                method="called_contact",
                now=now,
            )
            _device, cookie = remember_device(user=user, request=request, now=now)
            out["clients"].append(
                {"username": user.username, "device": cookie, "client": str(sponsor.public_id)}
            )
    Path(out_path).write_text(json.dumps(out), encoding="utf-8")


def p95_table(stats_csv: Path) -> list[dict[str, str]]:
    with stats_csv.open(newline="") as handle:
        return list(csv.DictReader(handle))


def run_locust(
    cluster: Cluster, *, users_file: Path, users: int, spawn_rate: float, seconds: int, out: Path
) -> tuple[int, list[dict[str, str]]]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "RXPORTAL_"))
    }
    env["RX_BENCH_USERS_FILE"] = str(users_file)
    result = subprocess.run(
        [
            LOCUST,
            "--locustfile",
            str(BASE_DIR / "bench" / "locustfile.py"),
            "--headless",
            "--host",
            cluster.base_url,
            "--users",
            str(users),
            "--spawn-rate",
            str(spawn_rate),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "30",
            "--csv",
            str(out / "locust"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 600,
        check=False,
    )
    (out / "locust.out").write_text(result.stdout + result.stderr)
    return result.returncode, p95_table(out / "locust_stats.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--create-users", nargs=2, type=int, metavar=("MEMBERS", "CLIENTS"))
    parser.add_argument("--out", default="")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--users", type=int, default=200, help="concurrent locust users")
    parser.add_argument("--spawn-rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=int, default=120, help="locust run time")
    parser.add_argument("--seed-members", type=int, default=400)
    parser.add_argument("--keep", default="", help="keep the logs and CSV in this folder")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if args.create_users:
        create_bench_users(*args.create_users, args.out)
        return

    require_haproxy()
    members = round(args.users * 0.75)
    clients = args.users - members
    prefix = f"rxportal-locust-{os.getpid()}"
    out = Path(args.keep or tempfile.mkdtemp(prefix="webnodes-"))
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with fresh_database(args.database_url, "rxportal_bench_webnodes") as database_url:
        # All load comes from 127.0.0.1: per-address rate limits would measure the limiter
        # (the switch is for benchmarks only; production refuses it). Sessions and the
        # remaining limits are still in Redis.
        env = node_environment(
            database_url=database_url,
            redis_url=args.redis_url,
            cache_prefix=prefix,
            RXPORTAL_RATELIMITS_ENABLED="0",
        )
        try:
            prepare_database(
                env,
                [
                    ["import_reference_data", "--no-progress"],
                    ["seed_demo", "--members", str(args.seed_members), "--no-progress"],
                    ["seed_hub"],
                ],
            )
            users_file = out / "users.json"
            run_command(
                [
                    PYTHON,
                    __file__,
                    "--create-users",
                    str(members),
                    str(clients),
                    "--out",
                    str(users_file),
                ],
                env,
            )
            print(f"set up in {time.monotonic() - started:.0f} s", file=sys.stderr)
            with web_nodes(env, count=args.nodes, workers=args.workers, log_dir=out) as cluster:
                code, rows = run_locust(
                    cluster,
                    users_file=users_file,
                    users=args.users,
                    spawn_rate=args.spawn_rate,
                    seconds=args.seconds,
                    out=out,
                )
                by_node = Counter(line["srv"] for line in cluster.proxy_lines())
                retried = sum(1 for line in cluster.proxy_lines() if line["retries"] != "0")
        finally:
            forget_redis_keys(args.redis_url, prefix)
    report(rows, code=code, by_node=by_node, retried=retried, args=args, out=out)


def report(
    rows: list[dict[str, str]],
    *,
    code: int,
    by_node: Counter[str],
    retried: int,
    args: argparse.Namespace,
    out: Path,
) -> None:
    total = next(row for row in rows if row["Name"] == "Aggregated")
    print(f"locust exit code {code}; logs and CSV in {out}")
    print(f"requests by node: {dict(by_node)}; retried by HAProxy: {retried}")
    header = "| page | requests | failures | p50 ms | p95 ms | p99 ms | req/s |"
    lines = [header, "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['Type']} {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{row['50%']} | {row['95%']} | {row['99%']} | {float(row['Requests/s']):.1f} |"
        )
    print("\n".join(lines))
    if args.markdown:
        machine = machine_line()
        print(
            f"\nMachine: {machine}. Load: {args.users} users ({round(args.users * 0.75)} members, "
            f"{args.users - round(args.users * 0.75)} clients), spawn {args.spawn_rate}/s, "
            f"{args.seconds} s, {args.nodes} nodes x {args.workers} sync workers, "
            f"error rate {int(total['Failure Count']) / max(1, int(total['Request Count'])):.4f}."
        )


def machine_line() -> str:
    described = machine_description()
    load = os.getloadavg()[0]
    return (
        f"{described['cpu']}, {described['memory']}, Python {described['python']}, "
        f"commit {described['commit']}, load average {load:.1f} at the end"
    )


if __name__ == "__main__":
    main()
