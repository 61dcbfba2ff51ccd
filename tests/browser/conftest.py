"""Browser tests drive the real app, served by gunicorn in a subprocess, with Debian's Chromium.

Why not pytest-django's `live_server`: it empties tables with DELETE between tests, and the
claims table has a trigger that refuses every DELETE (claims are a financial record). So the
session fixture below builds its own database instead:

1. a fresh database: a temporary SQLite file, or, when DATABASE_URL is PostgreSQL, a separate
   database `rxportal_browser_<pid>` on the same server (dropped afterwards);
2. `migrate`, `collectstatic`, then the data commands in DATA_COMMANDS (the same ones
   `make run` uses, so the demo sign-ins exist);
3. gunicorn with two workers on a free loopback port, with development settings and Django's
   file email backend into a temporary folder (``read_latest_email`` reads what was "sent");
4. waits for /healthz, yields, then stops gunicorn and drops the database.

Steps 1, 3 and 4 are bench/benchlib.py's (``fresh_database``, ``gunicorn_serving``), which the
benchmarks and the web-node tests use too.

Playwright never downloads a browser here: it launches /usr/bin/chromium.
"""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bench.benchlib import fresh_database, gunicorn_serving

BASE_DIR = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
# A shared CI machine can be slow: wait up to 15 s for an element or an expectation.
ACTION_TIMEOUT_MS = 15_000
COMMAND_TIMEOUT_SECONDS = 600

# Loaded in order into the fresh database. Every command must exist: seed_demo creates the
# demo sign-ins (`demo-member` and friends) that the tests use.
DATA_COMMANDS: list[list[str]] = [
    ["import_reference_data", "--no-progress"],
    ["seed_demo", "--members", "20", "--seed", "1", "--no-progress"],
    ["seed_hub"],
]

DEMO_MEMBER_USERNAME = "demo-member"
DEMO_MEMBER_PASSWORD = "Demo-Member-Passphrase-2026"


EMAIL_WAIT_SECONDS = 10


@dataclass(frozen=True)
class SentEmail:
    to: list[str]
    subject: str
    body: str


@dataclass(frozen=True)
class PortalServer:
    base_url: str
    env: dict[str, str]
    mail_dir: Path

    def manage(self, *args: str) -> str:
        """Run a management command against the server's database; returns its stdout."""
        return _run([PYTHON, "manage.py", *args], env=self.env)

    def sent_emails(self) -> list[SentEmail]:
        """Every message the server has sent, oldest first."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
            # The file backend writes each message followed by a line of 79 dashes.
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not raw.strip():
                    continue
                message = email.message_from_bytes(raw, policy=email.policy.default)
                body = message.get_body(preferencelist=("plain",))
                messages.append(
                    SentEmail(
                        to=[address.strip() for address in str(message["To"]).split(",")],
                        subject=str(message["Subject"]),
                        body=body.get_content() if body is not None else "",
                    )
                )
        return messages

    def read_latest_email(self, *, to: str, after: int = 0) -> SentEmail:
        """The newest message to ``to`` among those after the first ``after`` sent (waits a
        little: mail is written while the request that sends it runs)."""
        deadline = time.monotonic() + EMAIL_WAIT_SECONDS
        while True:
            matching = [m for m in self.sent_emails()[after:] if to in m.to]
            if matching:
                return matching[-1]
            if time.monotonic() > deadline:
                pytest.fail(f"no email to {to} arrived", pytrace=False)
            time.sleep(0.1)


def _run(command: list[str], *, env: dict[str, str]) -> str:
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
        pytest.fail(
            f"`{' '.join(command)}` failed with exit code {result.returncode}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}",
            pytrace=False,
        )
    return result.stdout


def _check_data_commands_exist() -> None:
    from django.core.management import get_commands

    available = get_commands()
    missing = [command[0] for command in DATA_COMMANDS if command[0] not in available]
    if missing:
        pytest.fail(
            "The browser tests load demo data with "
            + ", ".join(f"`manage.py {name}`" for name in missing)
            + ", which this checkout does not have (yet). They arrive with the demo-data work; "
            "run the other tests with `pytest -m 'not browser'` until then.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def browser_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own: never the developer's, never pytest-django's test database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'rxportal.sqlite3'}"
        return
    with fresh_database(url, f"rxportal_browser_{os.getpid()}") as database_url:
        yield database_url


@pytest.fixture(scope="session")
def portal_server(
    browser_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalServer]:
    _check_data_commands_exist()
    mail_dir = tmp_path_factory.mktemp("mail")
    # Without the replica: these tests read at once what other processes just wrote, which a
    # replica shows only after it replays it (tests/core/test_read_replica.py drives pages on one).
    skipped = {
        "DJANGO_READ_DOT_ENV",
        "DJANGO_DEBUG",
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_REPLICA_URL",
    }
    env = {key: value for key, value in os.environ.items() if key not in skipped}
    env.update(
        DJANGO_SETTINGS_MODULE="rxportal.settings.dev",
        RXPORTAL_ENV="development",
        DATABASE_URL=browser_database_url,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        RXPORTAL_CACHE_PREFIX=f"rxportal-browser-{os.getpid()}",  # when REDIS_URL is set
        RXPORTAL_LOG_LEVEL="WARNING",
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        DJANGO_EMAIL_FILE_PATH=str(mail_dir),
        RXPORTAL_MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        # No Celery worker runs beside this server: with REDIS_URL set, the outbox's deliveries,
        # claims reports and what-ifs would wait in the broker. Run them in the request.
        RXPORTAL_TASKS_INLINE="1",
        # Every test signs the demo member in from 127.0.0.1: allauth's per-name quotas (ten
        # checked answers in ten minutes) would turn later tests into 429s depending on how fast
        # the run goes. The limits themselves are tested in tests/accounts, not through a browser.
        RXPORTAL_RATELIMITS_ENABLED="0",
    )
    for command in (
        ["migrate", "--no-input", "--verbosity", "0"],
        ["collectstatic", "--no-input", "--verbosity", "0"],
        *DATA_COMMANDS,
    ):
        _run([PYTHON, "manage.py", *command], env=env)

    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn_serving(env, log_path=log_path, workers=2) as base_url:
        yield PortalServer(base_url=base_url, env=env, mail_dir=mail_dir)


@pytest.fixture(scope="session")
def live_localhost_url(portal_server: PortalServer) -> str:
    """The same server as http://localhost:<port>. WebAuthn needs a secure context: browsers
    treat localhost as one, 127.0.0.1 not; RXPORTAL_WEBAUTHN_RP_ID defaults to "localhost"."""
    return portal_server.base_url.replace("://127.0.0.1:", "://localhost:", 1)


@pytest.fixture
def read_latest_email(portal_server: PortalServer) -> Callable[..., SentEmail]:
    """``read_latest_email(to="someone@example.com")``: the newest message sent to them."""
    return portal_server.read_latest_email


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Package scope, not session: Playwright's sync API keeps an event loop in this thread,
    and Django refuses database access from a thread with a running loop, so it must be gone
    before the in-process (database) tests run."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    context = browser.new_context(base_url=portal_server.base_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="package")
def demo_member_storage_state(browser: Browser, portal_server: PortalServer) -> dict[str, Any]:
    """Cookies of one full demo-member sign-in (question, SiteKey, TOTP), made once.

    Signing in takes a TOTP time step each time, so feature tests share this session instead.
    Tests that use it must not sign out or end sessions: every other test would lose it.
    """
    from tests.browser.test_signin_flow import sign_in_as_demo_member

    context = browser.new_context(base_url=portal_server.base_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/accounts/login/")
    sign_in_as_demo_member(page, portal_server)
    state = context.storage_state()
    context.close()
    return dict(state)


@pytest.fixture
def member_page(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict[str, Any]
) -> Iterator[Page]:
    """A page already signed in as the demo member (see ``demo_member_storage_state``)."""
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        storage_state=demo_member_storage_state,  # type: ignore[arg-type]
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def member_page_without_js(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict[str, Any]
) -> Iterator[Page]:
    """``member_page`` with JavaScript off: every flow must work without it."""
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        java_script_enabled=False,
        storage_state=demo_member_storage_state,  # type: ignore[arg-type]
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
