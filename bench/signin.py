"""Sign-in throughput and latency against the bare Argon2id hash rate, in one run.

What it does (details and how to read the output: bench/README.md):

1. a fresh PostgreSQL database (``rxportal_bench_signin``) and a private key prefix in Redis db 1;
2. ``migrate``, ``collectstatic`` and N benchmark users created with the production hasher:
   role ``client`` (no mandatory second factor), a verified email, a SiteKey, and a recognized
   device whose signed cookie the load generator presents, so the new-device stage passes;
3. gunicorn serving ``rxportal.wsgi`` with development settings, one worker per core;
4. phases of fixed length: bare Argon2id verifies (as many processes as gunicorn workers), full
   sign-ins with one client (service time), full sign-ins with several clients (throughput),
   bare Argon2id again;
5. the table (and with ``--markdown`` a block for docs/benchmarks.md), then everything removed.

One sign-in is what a browser does: GET /accounts/login/, POST the username, GET the SiteKey +
password page, POST the password (302 to the dashboard), GET /dashboard/. Every request goes to
127.0.0.1 only. Rate limits are switched off for the server (``RXPORTAL_RATELIMITS_ENABLED=0``,
benchmarks only) because all the load comes from one IP address.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPResponse
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from benchlib import forget_redis_keys, free_port, fresh_database, server_environment

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
DATABASE_NAME = "rxportal_bench_signin"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
PASSWORD = "Bench-Signin-Passphrase-2026"  # noqa: S105 - benchmark users only, dropped after
USERNAME_PREFIX = "bench-signin-"
HASH_PREFIX = "argon2_nfkc$argon2id$v=19$m=19456,t=2,p=1$"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STARTUP_TIMEOUT_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30


# --- Safety: loopback only ---------------------------------------------------------------------


def require_loopback(url: str, what: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise SystemExit(f"{what} must be on this machine (127.0.0.1), got {host!r}")


# --- Set-up: database, users, server -----------------------------------------------------------


@dataclass(frozen=True)
class BenchUser:
    username: str
    device_cookie: str


@dataclass(frozen=True)
class Setup:
    users: list[BenchUser]
    device_cookie_name: str
    encoded_hash: str


def _run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(
            f"`{' '.join(command)}` failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
        )
    return result.stdout


def create_users(count: int, out_path: str) -> None:
    """Runs inside ``manage.py``'s environment (``--create-users``): users with the production
    hasher, a verified email, a SiteKey, and a recognized device each."""
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.test import RequestFactory

    from rxportal.accounts.models import Role, User
    from rxportal.accounts.services.devices import remember_device
    from rxportal.accounts.services.sitekey import set_sitekey
    from rxportal.core import clock

    request = RequestFactory().get("/", HTTP_USER_AGENT="bench/signin.py", REMOTE_ADDR="127.0.0.1")
    # Hashed once with the first PASSWORD_HASHERS entry (production's) and stored for everyone:
    # a verify costs the same whatever the salt, and set-up stays quick for thousands of users.
    encoded = make_password(PASSWORD)
    users = []
    for index in range(count):
        username = f"{USERNAME_PREFIX}{index:05d}"
        user = User.objects.create(
            username=username, email=f"{username}@bench.invalid", role=Role.CLIENT, password=encoded
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        set_sitekey(user=user, image_slug="teapot", phrase="Morning tea by the lake", actor=user)
        _device, cookie = remember_device(user=user, request=request, now=clock.now())
        users.append({"username": username, "device_cookie": cookie, "password": user.password})
    Path(out_path).write_text(
        json.dumps({"device_cookie_name": settings.RXPORTAL_DEVICE_COOKIE_NAME, "users": users}),
        encoding="utf-8",
    )


def prepare(env: dict[str, str], users: int) -> Setup:
    _run([PYTHON, "manage.py", "migrate", "--no-input", "--verbosity", "0"], env)
    _run([PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"], env)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "users.json"
        _run([PYTHON, __file__, "--create-users", str(users), "--out", str(out)], env)
        data = json.loads(out.read_text(encoding="utf-8"))
    encoded = data["users"][0]["password"]
    if not encoded.startswith(HASH_PREFIX):
        raise SystemExit(f"users were not hashed with m=19456,t=2,p=1 Argon2id: {encoded[:40]}")
    return Setup(
        users=[BenchUser(u["username"], u["device_cookie"]) for u in data["users"]],
        device_cookie_name=data["device_cookie_name"],
        encoded_hash=encoded,
    )


@contextmanager
def gunicorn(
    env: dict[str, str], *, port: int, workers: int, worker_class: str, log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        GUNICORN,
        "rxportal.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--graceful-timeout",
        "5",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
            with (
                suppress(urllib.error.URLError, ConnectionError, TimeoutError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer,
            ):
                if answer.status == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service_cpu_seconds(names: tuple[str, ...] = ("postgres", "redis-server")) -> float:
    """CPU seconds of every PostgreSQL and Redis process on the machine (other users' too)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError):
            text = stat.read_text()
            if text[text.index("(") + 1 : text.rindex(")")] in names:
                total += cpu_seconds(int(stat.parent.name))
    return total


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds since boot over all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    hz = os.sysconf("SC_CLK_TCK")
    return (total - idle) / hz, total / hz


# --- Phase: bare Argon2id ------------------------------------------------------------------------


def _hash_worker(encoded: str, start_at: float, stop_at: float) -> tuple[int, float]:
    """Verify ``PASSWORD`` against ``encoded`` with the portal's own hasher until ``stop_at``."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            PASSWORD_HASHERS=["rxportal.accounts.hashers.PortalArgon2PasswordHasher"]
        )
    from rxportal.accounts.hashers import PortalArgon2PasswordHasher

    hasher = PortalArgon2PasswordHasher()
    assert hasher.verify(PASSWORD, encoded)
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = time.process_time()
    done = 0
    while time.time() < stop_at:
        hasher.verify(PASSWORD, encoded)
        done += 1
    return done, time.process_time() - cpu_before


def run_bare_hash_phase(
    pool: multiprocessing.pool.Pool, encoded: str, processes: int, seconds: float
) -> float:
    start_at = time.time() + 0.5
    stop_at = start_at + seconds
    results = pool.starmap(_hash_worker, [(encoded, start_at, stop_at)] * processes)
    return sum(done for done, _cpu in results) / seconds


# --- Phase: sign-ins -----------------------------------------------------------------------------


class SignInError(Exception):
    pass


class Browser:
    """Just enough of a browser: one keep-alive connection, a cookie jar, redirects by hand."""

    def __init__(self, host: str, port: int) -> None:
        self.connection = HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, data: dict[str, str] | None = None
    ) -> tuple[HTTPResponse, str]:
        headers = {
            "Accept": "text/html",
            "Accept-Language": "en",
            "User-Agent": "bench/signin.py",
            "Host": "127.0.0.1",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (ConnectionError, OSError):
            # The server closed a kept-alive connection: one retry on a fresh one.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response, text


def _expect(response: HTTPResponse, status: int, location: str | None = None) -> None:
    if response.status != status:
        raise SignInError(f"{response.status} instead of {status}")
    if location is not None and response.getheader("Location") != location:
        raise SignInError(f"redirect to {response.getheader('Location')!r}, not {location!r}")


def _token(text: str) -> str:
    match = CSRF_RE.search(text)
    if match is None:
        raise SignInError("no CSRF token on the page")
    return match.group(1)


def sign_in(browser: Browser, user: BenchUser, device_cookie_name: str) -> float:
    """One full sign-in from a fresh browser that knows this device; returns the password POST's
    seconds."""
    browser.cookies = {device_cookie_name: user.device_cookie}
    response, text = browser.request("GET", "/accounts/login/")
    _expect(response, 200)
    response, _ = browser.request(
        "POST", "/accounts/login/", {"csrfmiddlewaretoken": _token(text), "username": user.username}
    )
    _expect(response, 302, "/accounts/login/password/")
    response, text = browser.request("GET", "/accounts/login/password/")
    _expect(response, 200)
    if 'class="sitekey__phrase">Morning tea by the lake<' not in text:
        raise SignInError("the user's SiteKey is missing from the password page")
    started = time.perf_counter()
    response, _ = browser.request(
        "POST",
        "/accounts/login/password/",
        {"csrfmiddlewaretoken": _token(text), "login": user.username, "password": PASSWORD},
    )
    password_seconds = time.perf_counter() - started
    # The first page: the dashboard, or a client's home (straight, or through /dashboard/).
    landing = _local_redirect(response)
    response, text = browser.request("GET", landing)
    if response.status == 302:
        response, text = browser.request("GET", _local_redirect(response))
    _expect(response, 200)
    if "Sign out" not in text:
        raise SignInError("the first page after sign-in is not signed in")
    return password_seconds


def _local_redirect(response: HTTPResponse) -> str:
    location = response.getheader("Location") or ""
    if response.status != 302 or not location.startswith("/") or location.startswith("//"):
        raise SignInError(f"{response.status} to {location!r} instead of a redirect on this site")
    return location


@dataclass
class ClientResult:
    # (started, finished, password POST seconds), wall-clock times
    iterations: list[tuple[float, float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0


def _signin_client(
    port: int,
    users: list[BenchUser],
    device_cookie_name: str,
    start_at: float,
    stop_at: float,
) -> ClientResult:
    browser = Browser("127.0.0.1", port)
    result = ClientResult()
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = time.process_time()
    index = 0
    while time.time() < stop_at:
        user = users[index % len(users)]
        index += 1
        started = time.time()
        try:
            password_seconds = sign_in(browser, user, device_cookie_name)
        except (SignInError, OSError) as exc:
            result.errors.append(f"{type(exc).__name__}: {exc}")
            browser.connection.close()
            if len(result.errors) > 20:
                break
            continue
        result.iterations.append((started, time.time(), password_seconds))
    result.cpu_seconds = time.process_time() - cpu_before
    return result


@dataclass(frozen=True)
class SignInPhase:
    clients: int
    seconds: float
    completed: int
    errors: list[str]
    full_latencies: list[float]
    password_latencies: list[float]
    worker_cpu: float
    services_cpu: float
    client_cpu: float
    machine_busy: float

    @property
    def rate(self) -> float:
        return self.completed / self.seconds


def run_signin_phase(
    pool: multiprocessing.pool.Pool,
    *,
    port: int,
    master_pid: int,
    setup: Setup,
    clients: int,
    warmup: float,
    seconds: float,
    profile_dir: Path | None = None,
) -> SignInPhase:
    """Clients run from ``start`` to ``window_end`` + a tail; only iterations that finished
    inside the steady window [start + warmup, start + warmup + seconds) are counted."""
    start_at = time.time() + 1.0
    window_start = start_at + warmup
    window_end = window_start + seconds
    shares = [setup.users[i::clients] for i in range(clients)]
    async_result = pool.starmap_async(
        _signin_client,
        [(port, share, setup.device_cookie_name, start_at, window_end + 2.0) for share in shares],
    )
    time.sleep(max(0.0, window_start - time.time()))
    pids = worker_pids(master_pid)
    profilers = [start_profiler(pid, seconds, profile_dir) for pid in pids] if profile_dir else []
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    services_before = service_cpu_seconds()
    busy_before, total_before = machine_busy_seconds()
    time.sleep(max(0.0, window_end - time.time()))
    cpu_after = sum(cpu_seconds(pid) for pid in pids)
    services_after = service_cpu_seconds()
    busy_after, total_after = machine_busy_seconds()
    results: list[ClientResult] = async_result.get()
    for profiler in profilers:
        profiler.wait(timeout=60)

    inside = [
        iteration
        for result in results
        for iteration in result.iterations
        if window_start <= iteration[1] < window_end
    ]
    started_inside = [iteration for iteration in inside if iteration[0] >= window_start]
    total_window = (total_after - total_before) or 1.0
    return SignInPhase(
        clients=clients,
        seconds=seconds,
        completed=len(inside),
        errors=[error for result in results for error in result.errors],
        full_latencies=[end - begin for begin, end, _ in started_inside],
        password_latencies=[password for _, _, password in started_inside],
        worker_cpu=cpu_after - cpu_before,
        services_cpu=services_after - services_before,
        client_cpu=sum(result.cpu_seconds for result in results),
        machine_busy=(busy_after - busy_before) / total_window,
    )


def start_profiler(pid: int, seconds: float, profile_dir: Path) -> subprocess.Popen[bytes]:
    """py-spy (not a project dependency: ``pip install --target /tmp/pyspy py-spy``) sampling
    one worker for the measured window, as collapsed stacks for flame graphs or grep."""
    py_spy = os.environ.get("PY_SPY", "py-spy")
    output = profile_dir / f"worker-{pid}.txt"
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(round(seconds))]
    command += ["--rate", "200", "--format", "raw", "--output", str(output), "--nonblocking"]
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# Frames whose inclusive share of the workers' samples says where a sign-in's time goes:
# (frame, or None for all samples; samples holding the second frame are left out).
ARGON2 = "verify_secret (argon2/"
PROFILE_FRAMES: dict[str, tuple[str | None, str | None]] = {
    "Argon2id verify": (ARGON2, None),
    "everything else": (None, ARGON2),
    "  password POST, without the hash": ("PasswordStepView.dispatch (rxportal/", ARGON2),
    "    form set-up: lock-out gate, SiteKey": ("SiteKeyLoginForm.__init__ (rxportal/", ARGON2),
    "    after the password: stages, login()": ("resume_login (allauth/", None),
    "      login stages": ("LoginStageController.handle (allauth/", None),
    "      usersessions on login (purge + create)": ("on_user_logged_in (allauth/", None),
    "      audit entry for the sign-in": ("record_login (rxportal/audit/", None),
    "  usersessions activity (signed-in requests)": (
        "create_from_request (allauth/usersessions/",
        "on_user_logged_in",
    ),
    "  session load / save (Redis)": ("(django/contrib/sessions/backends/cache.py", None),
    "  user lookup from the session": ("get_user (django/contrib/auth/__init__.py", None),
    "  template rendering": ("Template.render (django/template/base.py", None),
    "  PostgreSQL round trips (psycopg)": ("Cursor.execute (psycopg/", None),
    "  Redis round trips": ("Redis.execute_command (redis/", None),
}


def summarize_profile(profile_dir: Path) -> str:
    """Inclusive share of py-spy samples (collapsed stacks) for the frames above."""
    total = 0
    counts = dict.fromkeys(PROFILE_FRAMES, 0)
    for path in profile_dir.glob("worker-*.txt"):
        for line in path.read_text().splitlines():
            stack, _, number = line.rpartition(" ")
            if not stack or not number.isdigit():
                continue
            total += int(number)
            for name, (needle, excluded) in PROFILE_FRAMES.items():
                if (needle is None or needle in stack) and not (excluded and excluded in stack):
                    counts[name] += int(number)
    width = max(len(name) for name in counts)
    lines = [f"{name:<{width}}  {count / max(total, 1):6.1%}" for name, count in counts.items()]
    return f"py-spy, {total} samples of busy workers (inclusive shares):\n" + "\n".join(lines)


def wait_for_quiet_machine(max_load: float, patience_seconds: float = 1800) -> None:
    """On a shared machine: wait until the 1-minute load average drops below ``max_load``."""
    deadline = time.monotonic() + patience_seconds
    while (load := os.getloadavg()[0]) >= max_load:
        if time.monotonic() > deadline:
            raise SystemExit(f"the load average stayed at {load:.1f} (≥ {max_load}); try later")
        print(f"load average {load:.1f} ≥ {max_load}: waiting…", file=sys.stderr)
        time.sleep(30)


# --- Report ------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def latency_row(values: list[float]) -> str:
    return " / ".join(ms(percentile(values, q)) for q in (0.50, 0.95, 0.99))


def machine_description() -> str:
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model or platform.processor()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def report(
    *,
    args: argparse.Namespace,
    bare_before: float,
    bare_after: float,
    single: SignInPhase | None,
    loaded: SignInPhase,
) -> tuple[str, float]:
    bare = (bare_before + bare_after) / 2
    ratio = loaded.rate / bare if bare else 0.0
    per_signin = loaded.worker_cpu / loaded.completed if loaded.completed else float("nan")
    per_hash = args.workers / bare if bare else float("nan")
    rows = [
        ("machine", machine_description()),
        (
            "server",
            f"gunicorn {args.worker_class}, {args.workers} workers, rxportal.settings.dev, "
            "PostgreSQL + Redis on this machine",
        ),
        (
            "bare Argon2id verifies/s",
            f"{bare:.1f} ({args.workers} processes; before {bare_before:.1f}, after "
            f"{bare_after:.1f})",
        ),
        (
            "sign-ins/s",
            f"{loaded.rate:.1f} ({loaded.clients} clients, {loaded.completed} in "
            f"{loaded.seconds:.0f} s, {len(loaded.errors)} errors)",
        ),
        ("ratio (sign-ins/s ÷ verifies/s)", f"{ratio:.1%}"),
        ("full sign-in p50/p95/p99 (loaded)", latency_row(loaded.full_latencies)),
        ("password POST p50/p95/p99 (loaded)", latency_row(loaded.password_latencies)),
    ]
    if single is not None:
        rows += [
            ("full sign-in p50/p95/p99 (1 client)", latency_row(single.full_latencies)),
            ("password POST p50/p95/p99 (1 client)", latency_row(single.password_latencies)),
            ("sign-ins/s (1 client)", f"{single.rate:.1f}"),
        ]
    rows += [
        (
            "worker CPU per sign-in",
            f"{per_signin * 1000:.1f} ms (one bare verify: {per_hash * 1000:.1f} ms)",
        ),
        (
            "PostgreSQL + Redis CPU per sign-in",
            f"{loaded.services_cpu / max(loaded.completed, 1) * 1000:.1f} ms",
        ),
        (
            "load-generator CPU per sign-in",
            f"{loaded.client_cpu / max(loaded.completed, 1) * 1000:.1f} ms",
        ),
        ("machine CPU busy (loaded phase)", f"{loaded.machine_busy:.0%}"),
    ]
    if abs(bare_before - bare_after) > 0.15 * bare:
        rows.append(("warning", "bare rates before and after differ by >15%: a busy machine"))
    width = max(len(name) for name, _ in rows)
    table = "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
    if args.markdown:
        table += "\n\n" + markdown(rows, args)
    return table, ratio


def markdown(rows: list[tuple[str, str]], args: argparse.Namespace) -> str:
    lines = ["| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    command = (
        f".venv/bin/python bench/signin.py --seconds {args.seconds:g} --users {args.users} "
        f"--workers {args.workers} --clients {args.clients} --markdown"
    )
    return "```sh\n" + command + "\n```\n\n" + "\n".join(lines)


# --- Main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured start of a phase")
    parser.add_argument(
        "--single-seconds", type=float, default=10.0, help="1-client phase (0: skip)"
    )
    parser.add_argument(
        "--users", type=int, default=2000, help="enough that each signs in about once"
    )
    parser.add_argument("--workers", type=int, default=cores, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=2 * cores, help="concurrent browsers")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    parser.add_argument(
        "--database-name",
        default=DATABASE_NAME,
        help="the database created and dropped (one per person on a shared server)",
    )
    parser.add_argument("--markdown", action="store_true", help="also print a docs/ block")
    parser.add_argument(
        "--profile-dir", type=Path, help="py-spy the workers during the loaded phase (PY_SPY=…)"
    )
    parser.add_argument(
        "--max-load", type=float, help="first wait until the load average is below this"
    )
    parser.add_argument("--hold", action="store_true", help="wait for Enter before tear-down")
    parser.add_argument("--create-users", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.create_users is not None:
        sys.path.insert(0, str(BASE_DIR))
        create_users(args.create_users, args.out)
        return 0
    require_loopback(args.postgres_url, "PostgreSQL")
    require_loopback(args.redis_url, "Redis")
    cache_prefix = f"rxportal-bench-signin-{os.getpid()}"
    sys.path.insert(0, str(BASE_DIR))
    context = multiprocessing.get_context("spawn")

    with (
        fresh_database(args.postgres_url, args.database_name) as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = server_environment(
            database_url=database_url,
            redis_url=args.redis_url,
            cache_prefix=cache_prefix,
            RXPORTAL_RATELIMITS_ENABLED="0",
        )
        try:
            print(f"setting up {args.users} users…", file=sys.stderr)
            setup = prepare(env, args.users)
            if args.max_load is not None:
                wait_for_quiet_machine(args.max_load)
            port = free_port()
            with (
                gunicorn(
                    env,
                    port=port,
                    workers=args.workers,
                    worker_class=args.worker_class,
                    log_path=Path(tmp) / "gunicorn.log",
                ) as server,
                context.Pool(max(args.clients, args.workers)) as pool,
            ):
                print("bare Argon2id…", file=sys.stderr)
                bare_before = run_bare_hash_phase(
                    pool, setup.encoded_hash, args.workers, args.seconds
                )
                single = None
                if args.single_seconds > 0:
                    print("sign-ins, 1 client…", file=sys.stderr)
                    single = run_signin_phase(
                        pool,
                        port=port,
                        master_pid=server.pid,
                        setup=setup,
                        clients=1,
                        warmup=args.warmup,
                        seconds=args.single_seconds,
                    )
                print(f"sign-ins, {args.clients} clients…", file=sys.stderr)
                loaded = run_signin_phase(
                    pool,
                    port=port,
                    master_pid=server.pid,
                    setup=setup,
                    clients=args.clients,
                    warmup=args.warmup,
                    seconds=args.seconds,
                    profile_dir=args.profile_dir,
                )
                print("bare Argon2id again…", file=sys.stderr)
                bare_after = run_bare_hash_phase(
                    pool, setup.encoded_hash, args.workers, args.seconds
                )
                if args.hold:
                    input(f"server on http://127.0.0.1:{port}/ (pid {server.pid}); Enter to end")
        finally:
            forget_redis_keys(args.redis_url, cache_prefix)

    errors = loaded.errors + (single.errors if single else [])
    table, ratio = report(
        args=args, bare_before=bare_before, bare_after=bare_after, single=single, loaded=loaded
    )
    print(table)
    if args.profile_dir:
        print("\n" + summarize_profile(args.profile_dir))
    if errors:
        print(f"\n{len(errors)} failed sign-ins, first: {errors[0]}", file=sys.stderr)
        return 1
    print(f"\ngoal ≥ 90% of the hash-bound rate: {'met' if ratio >= 0.9 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
