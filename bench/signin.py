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

``--mode cpu`` measures CPU instead of time, which other people's load hardly moves: one gunicorn
worker, one browser at a time, a private ``redis-server``; for each sign-in the CPU spent by the
worker and by the PostgreSQL backend serving it (``/proc/<pid>/schedstat``), per round also by
Redis (``INFO cpu``), against the CPU of bare Argon2id verifies measured in rounds in between.
On a CPU-bound server throughput is cores ÷ CPU per request, so verify CPU ÷ sign-in CPU
estimates the throughput ratio without needing a quiet machine.

One sign-in is what a browser does: GET /accounts/login/, POST the username (answered with the
SiteKey + password page itself; an older checkout's redirect is followed), POST the password (302 to the first page, or to the second factor, whose code is
then posted: ``--totp`` gives the users an authenticator app), GET the first page (following
/dashboard/'s redirect for a client). Every request goes to
127.0.0.1 only. Rate limits are switched off for the server (``RXPORTAL_RATELIMITS_ENABLED=0``,
benchmarks only) because all the load comes from one IP address.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import platform
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
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
# ``--totp``: every bench user's authenticator app (base32), benchmark users only.
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # noqa: S105 - benchmark users only
SECOND_FACTOR_PATH = "/accounts/2fa/authenticate/"
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
    totp: bool = False


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


def create_users(count: int, out_path: str, *, totp: bool = False) -> None:
    """Runs inside ``manage.py``'s environment (``--create-users``): users with the production
    hasher, a verified email, a SiteKey, and a recognized device each (and with ``totp`` an
    authenticator app)."""
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import encrypt
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
        if totp:
            Authenticator.objects.create(
                user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(TOTP_SECRET)}
            )
        users.append(
            {"username": username, "device_cookie": cookie, "password": user.password, "totp": totp}
        )
    Path(out_path).write_text(
        json.dumps({"device_cookie_name": settings.RXPORTAL_DEVICE_COOKIE_NAME, "users": users}),
        encoding="utf-8",
    )


def prepare(env: dict[str, str], users: int, *, totp: bool = False) -> Setup:
    _run([PYTHON, "manage.py", "migrate", "--no-input", "--verbosity", "0"], env)
    _run([PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"], env)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "users.json"
        command = [PYTHON, __file__, "--create-users", str(users), "--out", str(out)]
        _run([*command, "--totp"] if totp else command, env)
        data = json.loads(out.read_text(encoding="utf-8"))
    encoded = data["users"][0]["password"]
    if not encoded.startswith(HASH_PREFIX):
        raise SystemExit(f"users were not hashed with m=19456,t=2,p=1 Argon2id: {encoded[:40]}")
    return Setup(
        users=[BenchUser(u["username"], u["device_cookie"], u["totp"]) for u in data["users"]],
        device_cookie_name=data["device_cookie_name"],
        encoded_hash=encoded,
    )


@contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    port: int,
    workers: int,
    worker_class: str,
    log_path: Path,
    checkout: Path = BASE_DIR,
) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        str(checkout / ".venv" / "bin" / "gunicorn") if checkout != BASE_DIR else GUNICORN,
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
            command, cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT
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


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The authenticator app's current code (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits)."""
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(base64.b32decode(secret), counter, hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    number = int.from_bytes(digest[start : start + 4], "big") & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


# ``sign_in``'s hook around each request, named by step: the CPU mode reads the server's CPU
# before and after each one.
StepHook = Callable[[str], AbstractContextManager[object]]


@contextmanager
def _unmeasured(_step: str) -> Iterator[None]:
    yield


def sign_in(
    browser: Browser, user: BenchUser, device_cookie_name: str, step: StepHook = _unmeasured
) -> float:
    """One full sign-in from a fresh browser that knows this device; returns the password POST's
    seconds."""
    browser.cookies = {device_cookie_name: user.device_cookie}
    with step("GET login page"):
        response, text = browser.request("GET", "/accounts/login/")
    _expect(response, 200)
    with step("POST username"):
        response, text = browser.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": _token(text), "username": user.username},
        )
    # The SiteKey + password page is the username POST's answer; a checkout from before issue
    # 16's change (``--compare-with``) redirects to it instead, and that GET is measured apart.
    if response.status == 302:
        _expect(response, 302, "/accounts/login/password/")
        with step("GET SiteKey + password page"):
            response, text = browser.request("GET", "/accounts/login/password/")
    _expect(response, 200)
    if 'class="sitekey__phrase">Morning tea by the lake<' not in text:
        raise SignInError("the user's SiteKey is missing from the password page")
    started = time.perf_counter()
    with step("POST password"):
        response, _ = browser.request(
            "POST",
            "/accounts/login/password/",
            {"csrfmiddlewaretoken": _token(text), "login": user.username, "password": PASSWORD},
        )
    password_seconds = time.perf_counter() - started
    landing = _local_redirect(response)
    if user.totp:
        if not landing.startswith(SECOND_FACTOR_PATH):
            raise SignInError(f"no second factor asked for: redirect to {landing!r}")
        with step("GET code page"):
            response, text = browser.request("GET", landing)
        _expect(response, 200)
        with step("POST code"):
            response, _ = browser.request(
                "POST", landing, {"csrfmiddlewaretoken": _token(text), "code": totp_code()}
            )
        landing = _local_redirect(response)
    # The first page: the dashboard, or a client's home (straight, or through /dashboard/).
    with step(f"GET {landing}"):
        response, text = browser.request("GET", landing)
    if response.status == 302:
        landing = _local_redirect(response)
        with step(f"GET {landing}"):
            response, text = browser.request("GET", landing)
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


# --- Mode cpu: CPU per sign-in against CPU per verify ------------------------------------------
#
# Wall-clock rates on a shared machine measure the other people's load as much as the code. CPU
# time does not depend on how long a process waited for a core, so CPU per sign-in, summed over
# every process that serves it, against CPU per bare verify estimates the throughput ratio on a
# CPU-bound server (sign-ins/s = cores ÷ CPU per sign-in; verifies/s = cores ÷ CPU per verify).


def on_cpu_ns(pid: int) -> int:
    """Nanoseconds the process (all its threads) has spent on a CPU; 0 once it is gone. The
    scheduler's own account (``schedstat``) is exact; ``/proc/<pid>/stat`` counts clock ticks
    (10 ms), too coarse for one request."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return 0
    for task in tasks:
        with suppress(OSError, ValueError, IndexError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


def _process_state(pid: int) -> str:
    with suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return "X"


def wait_until_idle(pids: list[int], timeout: float = 3.0) -> None:
    """Until every process sleeps and its CPU stops moving: a sync worker still closes the
    socket and runs ``request_finished`` after the client has the response."""
    deadline = time.monotonic() + timeout
    last = [on_cpu_ns(pid) for pid in pids]
    while time.monotonic() < deadline:
        time.sleep(0.002)
        now = [on_cpu_ns(pid) for pid in pids]
        if now == last and all(_process_state(pid) != "R" for pid in pids):
            return
        last = now


@contextmanager
def private_redis(directory: Path) -> Iterator[tuple[str, int]]:
    """A redis-server of the bench's own (no persistence), so its CPU is the bench's only: the
    shared server's ``INFO cpu`` counts every other user of it too."""
    import redis

    binary = os.environ.get("REDIS_SERVER", "redis-server")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(directory)]
    with (directory / "redis.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            with suppress(redis.exceptions.ConnectionError):
                if redis.Redis.from_url(url).ping():
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"redis-server did not start: {command}")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


def redis_info_cpu_seconds(url: str) -> float:
    import redis

    info = redis.Redis.from_url(url).info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


class ServingProcesses:
    """The processes a request's CPU is summed over: the gunicorn worker, every PostgreSQL
    backend connected to the bench database (found through a monitoring connection, whose own
    backend is left out) and the private Redis."""

    names = ("worker", "PostgreSQL", "Redis")

    def __init__(
        self, *, worker_pid: int, database_url: str, redis_pid: int, application_name: str
    ) -> None:
        import psycopg

        self.application_name = application_name
        self.worker_pid = worker_pid
        self.redis_pid = redis_pid
        self.monitor = psycopg.connect(database_url, autocommit=True)
        self.backends_gone = 0

    def backend_pids(self) -> list[int]:
        rows = self.monitor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            " AND application_name = %s",
            (self.application_name,),
        ).fetchall()
        return [int(row[0]) for row in rows]

    def pids(self) -> list[int]:
        return [self.worker_pid, *self.backend_pids(), self.redis_pid]

    def snapshot(self, backends: list[int]) -> tuple[int, dict[int, int], int]:
        return (
            on_cpu_ns(self.worker_pid),
            {pid: on_cpu_ns(pid) for pid in backends},
            on_cpu_ns(self.redis_pid),
        )

    def spent(
        self, before: tuple[int, dict[int, int], int], after: tuple[int, dict[int, int], int]
    ) -> tuple[float, float, float]:
        """Seconds of CPU between two snapshots: (worker, PostgreSQL, Redis)."""
        database = 0
        for pid, value in after[1].items():
            if value == 0 and before[1].get(pid, 0) > 0:
                self.backends_gone += 1  # its CPU since ``before`` is lost
            database += value - before[1].get(pid, 0) if value else 0
        return (after[0] - before[0]) / 1e9, database / 1e9, (after[2] - before[2]) / 1e9


@dataclass
class StepCpu:
    worker: list[float] = field(default_factory=list)
    database: list[float] = field(default_factory=list)
    redis: list[float] = field(default_factory=list)

    def mean(self, signins: int) -> tuple[float, float, float]:
        """Mean seconds per sign-in (a step not taken by every sign-in counts as 0 for the
        others)."""
        return (
            sum(self.worker) / signins,
            sum(self.database) / signins,
            sum(self.redis) / signins,
        )


@dataclass
class CpuRound:
    signin_seconds: list[float] = field(default_factory=list)  # CPU, all three, per sign-in
    verify_seconds: list[float] = field(default_factory=list)  # CPU per bare verify

    @property
    def ratio(self) -> float:
        return statistics.fmean(self.verify_seconds) / statistics.fmean(self.signin_seconds)


@dataclass
class CpuResult:
    rounds: list[CpuRound]
    steps: dict[str, StepCpu]
    idle_per_second: tuple[float, float, float]
    redis_info_per_signin: float
    backends_gone: int
    errors: list[str]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    @property
    def signins(self) -> int:
        return sum(len(r.signin_seconds) for r in self.rounds)

    @property
    def signin_cpu(self) -> float:
        return statistics.fmean(s for r in self.rounds for s in r.signin_seconds)

    @property
    def verify_cpu(self) -> float:
        return statistics.fmean(s for r in self.rounds for s in r.verify_seconds)

    @property
    def ratio(self) -> float:
        return self.verify_cpu / self.signin_cpu


class SignInMeter:
    """``sign_in``'s step hook for one sign-in: each step's CPU in the three processes, less
    their idle rate over the step's wall time, added to ``steps`` and to ``total``."""

    def __init__(
        self,
        *,
        serving: ServingProcesses,
        steps: dict[str, StepCpu],
        idle_rate: tuple[float, ...],
    ) -> None:
        self.serving = serving
        self.backends = serving.backend_pids()
        self.pids = [serving.worker_pid, *self.backends, serving.redis_pid]
        self.steps = steps
        self.idle_rate = idle_rate
        self.total = 0.0

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        wait_until_idle(self.pids)
        before, started = self.serving.snapshot(self.backends), time.perf_counter()
        yield
        wait_until_idle(self.pids)
        spent = self.serving.spent(before, self.serving.snapshot(self.backends))
        wall = time.perf_counter() - started
        step = self.steps.setdefault(name, StepCpu())
        for values, value, rate in zip(
            (step.worker, step.database, step.redis), spent, self.idle_rate, strict=True
        ):
            values.append(max(0.0, value - rate * wall))
            self.total += values[-1]


def _verify_cpu(encoded: str, count: int) -> list[float]:
    """CPU seconds of each of ``count`` bare verifies with the portal's hasher (this process)."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            PASSWORD_HASHERS=["rxportal.accounts.hashers.PortalArgon2PasswordHasher"]
        )
    from rxportal.accounts.hashers import PortalArgon2PasswordHasher

    hasher = PortalArgon2PasswordHasher()
    spent = []
    for _ in range(count):
        before = time.process_time()
        ok = hasher.verify(PASSWORD, encoded)
        spent.append(time.process_time() - before)
        assert ok
    return spent


@dataclass(frozen=True)
class CpuServer:
    """One gunicorn (one worker) under measurement: this checkout, or ``--compare-with``'s."""

    label: str
    port: int
    serving: ServingProcesses


def run_cpu_mode(
    pool: multiprocessing.pool.Pool,
    *,
    servers: list[CpuServer],
    setup: Setup,
    redis_url: str,
    args: argparse.Namespace,
) -> dict[str, CpuResult]:
    """Rounds of sign-ins on each server in turn, then bare verifies: with two servers both
    versions meet the same load, round by round."""
    users = iter(setup.users)
    load_before = os.getloadavg()
    browsers = {server.label: Browser("127.0.0.1", server.port) for server in servers}
    for server in servers:
        for _ in range(args.cpu_warmup):  # templates, imports, the database connection
            sign_in(browsers[server.label], next(users), setup.device_cookie_name)
    pool.apply(_verify_cpu, (setup.encoded_hash, 2))

    # What the three cost doing nothing (the worker's heartbeat, Redis's timers), subtracted
    # from each step in proportion to its wall time.
    idle_rates: dict[str, tuple[float, ...]] = {}
    for server in servers:
        serving = server.serving
        backends = serving.backend_pids()
        wait_until_idle(serving.pids())
        before, started = serving.snapshot(backends), time.perf_counter()
        time.sleep(3.0)
        idle = serving.spent(before, serving.snapshot(backends))
        idle_rates[server.label] = tuple(v / (time.perf_counter() - started) for v in idle)

    steps: dict[str, dict[str, StepCpu]] = {server.label: {} for server in servers}
    rounds: dict[str, list[CpuRound]] = {server.label: [] for server in servers}
    errors: dict[str, list[str]] = {server.label: [] for server in servers}
    info_before = redis_info_cpu_seconds(redis_url)
    for number in range(args.cpu_rounds):
        current = {server.label: CpuRound() for server in servers}
        for server in servers:
            browser = browsers[server.label]
            for _ in range(args.cpu_signins):
                meter = SignInMeter(
                    serving=server.serving,
                    steps=steps[server.label],
                    idle_rate=idle_rates[server.label],
                )
                try:
                    sign_in(browser, next(users), setup.device_cookie_name, meter.step)
                except (SignInError, OSError) as exc:
                    errors[server.label].append(f"{type(exc).__name__}: {exc}")
                    browser.connection.close()
                    continue
                current[server.label].signin_seconds.append(meter.total)
        verifies = pool.apply(_verify_cpu, (setup.encoded_hash, args.cpu_verifies))
        for server in servers:
            current[server.label].verify_seconds = verifies
            rounds[server.label].append(current[server.label])
            print(
                f"round {number + 1}/{args.cpu_rounds} {server.label}: sign-in "
                f"{statistics.fmean(current[server.label].signin_seconds) * 1000:.1f} ms CPU, "
                f"verify {statistics.fmean(verifies) * 1000:.1f} ms, "
                f"ratio {current[server.label].ratio:.1%}",
                file=sys.stderr,
            )
    info_spent = redis_info_cpu_seconds(redis_url) - info_before
    signins = sum(len(r.signin_seconds) for each in rounds.values() for r in each)
    load_after = os.getloadavg()
    return {
        server.label: CpuResult(
            rounds=rounds[server.label],
            steps=steps[server.label],
            idle_per_second=tuple(idle_rates[server.label][:3]),  # type: ignore[arg-type]
            redis_info_per_signin=info_spent / max(signins, 1),
            backends_gone=server.serving.backends_gone,
            errors=errors[server.label],
            load_before=load_before,
            load_after=load_after,
        )
        for server in servers
    }


def cpu_report(result: CpuResult, args: argparse.Namespace) -> str:
    signins = result.signins
    cores = os.cpu_count() or 1
    ms_ = 1000.0
    ratios = sorted(r.ratio for r in result.rounds)
    rows = [
        ("machine", machine_description()),
        (
            "load average (1, 5, 15 min) before / after",
            " / ".join(
                ", ".join(f"{v:.1f}" for v in load)
                for load in (result.load_before, result.load_after)
            ),
        ),
        (
            "server",
            "gunicorn sync, 1 worker, rxportal.settings.dev, PostgreSQL on this machine, "
            "a private redis-server",
        ),
        (
            "measured",
            f"{args.cpu_rounds} rounds of {args.cpu_signins} sign-ins then {args.cpu_verifies} "
            f"bare verifies ({signins} sign-ins, {len(result.errors)} errors)",
        ),
        ("CPU per bare Argon2id verify", f"{result.verify_cpu * ms_:.1f} ms"),
        ("CPU per sign-in (worker + PostgreSQL + Redis)", f"{result.signin_cpu * ms_:.1f} ms"),
        (
            "CPU ratio (verify ÷ sign-in)",
            f"{result.ratio:.1%} (rounds: {ratios[0]:.1%} to {ratios[-1]:.1%})",
        ),
        (
            f"CPU-bound rates on {cores} cores",
            f"{cores / result.verify_cpu:.0f} verifies/s, {cores / result.signin_cpu:.0f} "
            "sign-ins/s",
        ),
        (
            "Redis, INFO cpu per sign-in (check)",
            f"{result.redis_info_per_signin * ms_:.2f} ms (incl. verify rounds and idle)",
        ),
        (
            "idle CPU subtracted (worker, PostgreSQL, Redis)",
            ", ".join(f"{v * ms_:.2f}" for v in result.idle_per_second) + " ms per second",
        ),
    ]
    if result.backends_gone:
        rows.append(("warning", f"{result.backends_gone} PostgreSQL backends ended mid-step"))
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    step_rows = []
    for name, step in result.steps.items():
        worker, database, redis_ = step.mean(signins)
        step_rows.append((name, worker, database, redis_))
    totals = [sum(row[i] for row in step_rows) for i in (1, 2, 3)]
    step_rows.append(("sign-in", *totals))
    lines.append("")
    lines.append(
        f"{'CPU ms per sign-in':<32} {'worker':>8} {'Postgres':>9} {'Redis':>7} {'total':>8}"
    )
    for name, worker, database, redis_ in step_rows:
        lines.append(
            f"{name:<32} {worker * ms_:8.1f} {database * ms_:9.1f} {redis_ * ms_:7.2f} "
            f"{(worker + database + redis_) * ms_:8.1f}"
        )
    text = "\n".join(lines)
    if args.markdown:
        command = (
            f".venv/bin/python bench/signin.py --mode cpu --cpu-rounds {args.cpu_rounds} "
            f"--cpu-signins {args.cpu_signins} --cpu-verifies {args.cpu_verifies}"
            + (" --totp" if args.totp else "")
            + (f" --compare-with {args.compare_with}" if args.compare_with else "")
            + " --markdown"
        )
        table = ["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
        table += ["", "| CPU ms per sign-in | worker | PostgreSQL | Redis | total |"]
        table += ["|---|---:|---:|---:|---:|"]
        for name, worker, database, redis_ in step_rows:
            table.append(
                f"| {name} | {worker * ms_:.1f} | {database * ms_:.1f} | {redis_ * ms_:.2f} | "
                f"{(worker + database + redis_) * ms_:.1f} |"
            )
        text += "\n\n```sh\n" + command + "\n```\n\n" + "\n".join(table)
    return text


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
        "--mode",
        choices=["throughput", "cpu"],
        default="throughput",
        help="throughput: rates under load; cpu: CPU per sign-in and per verify (robust to load)",
    )
    parser.add_argument("--cpu-rounds", type=int, default=5, help="cpu mode: rounds")
    parser.add_argument("--cpu-signins", type=int, default=20, help="cpu mode: sign-ins a round")
    parser.add_argument("--cpu-verifies", type=int, default=20, help="cpu mode: verifies a round")
    parser.add_argument("--cpu-warmup", type=int, default=5, help="cpu mode: unmeasured sign-ins")
    parser.add_argument("--totp", action="store_true", help="users with an authenticator app")
    parser.add_argument(
        "--compare-with",
        type=Path,
        help="cpu mode: another checkout (same migrations, with its .venv) measured in turn",
    )
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
        create_users(args.create_users, args.out, totp=args.totp)
        return 0
    require_loopback(args.postgres_url, "PostgreSQL")
    require_loopback(args.redis_url, "Redis")
    cache_prefix = f"rxportal-bench-signin-{os.getpid()}"
    sys.path.insert(0, str(BASE_DIR))
    context = multiprocessing.get_context("spawn")
    if args.mode == "cpu":
        return main_cpu(args, cache_prefix, context)

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
            setup = prepare(env, args.users, totp=args.totp)
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
    print(f"\ngoal ≥ 60% of the hash-bound rate (issue 16): {'met' if ratio >= 0.6 else 'NOT met'}")
    return 0


def main_cpu(
    args: argparse.Namespace, cache_prefix: str, context: multiprocessing.context.BaseContext
) -> int:
    checkouts = {"this checkout": BASE_DIR}
    if args.compare_with is not None:
        checkouts = {"compared": args.compare_with.resolve(), "this checkout": BASE_DIR}
    users = len(checkouts) * (args.cpu_warmup + args.cpu_rounds * args.cpu_signins)
    with (
        fresh_database(args.postgres_url, args.database_name) as database_url,
        tempfile.TemporaryDirectory() as tmp,
        private_redis(Path(tmp)) as (redis_url, redis_pid),
        ExitStack() as stack,
    ):
        env = server_environment(
            database_url=database_url,
            redis_url=redis_url,
            cache_prefix=cache_prefix,
            RXPORTAL_RATELIMITS_ENABLED="0",
        )
        print(f"setting up {users} users…", file=sys.stderr)
        setup = prepare(env, users, totp=args.totp)
        servers = []
        for number, (label, checkout) in enumerate(checkouts.items()):
            # Each server's PostgreSQL connection carries its own application_name.
            name = f"rxportal-bench-{number}"
            # The same secret key as the set-up: the users' device cookies are signed with it.
            server_env = {
                **env,
                "DATABASE_URL": f"{database_url}?application_name={name}",
                "RXPORTAL_CACHE_PREFIX": f"{cache_prefix}-{number}",
            }
            port = free_port()
            server = stack.enter_context(
                gunicorn(
                    server_env,
                    port=port,
                    workers=1,
                    worker_class="sync",
                    log_path=Path(tmp) / f"gunicorn-{number}.log",
                    checkout=checkout,
                )
            )
            serving = ServingProcesses(
                worker_pid=worker_pids(server.pid)[0],
                database_url=database_url,
                redis_pid=redis_pid,
                application_name=name,
            )
            stack.callback(serving.monitor.close)
            servers.append(CpuServer(label=label, port=port, serving=serving))
        pool = stack.enter_context(context.Pool(1))
        results = run_cpu_mode(pool, servers=servers, setup=setup, redis_url=redis_url, args=args)
    failed = False
    for label, result in results.items():
        if len(results) > 1:
            print(f"\n== {label}: {checkouts[label]}")
        print(cpu_report(result, args))
        if result.errors:
            print(f"\n{len(result.errors)} failed sign-ins, first: {result.errors[0]}")
            failed = True
        print(f"\nCPU ratio ≥ 0.60: {'met' if result.ratio >= 0.6 else 'NOT met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
