"""The sign-in's password POST taken apart, in-process: its SQL, its Redis commands, its worker
CPU besides the hash, and where that CPU goes (cProfile).

    .venv/bin/python bench/signin_profile.py --database-name <yours> \\
        --redis-url redis://127.0.0.1:6379/<n> --users 60

Builds a fresh PostgreSQL database (dropped afterwards), creates ``--users`` client users the way
``signin.py`` does (production hasher, verified email, SiteKey, recognized device), then signs
each one in once with ``django.test.Client`` under the development settings (Redis sessions and
cache under a key prefix of its own, deleted afterwards): login page, username, password page,
password POST. For the password POST it records

* worker CPU (``time.process_time``) besides the Argon2id verify (timed around the hasher's
  ``verify`` and taken off), median over the timed sign-ins (no profiler, no query capture);
* every SQL statement and Redis command of one sign-in;
* a cProfile of ``--profiled`` further sign-ins, top ``--profile-lines`` by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchlib import fresh_database, require_loopback, setup_django

BENCH_DIR = Path(__file__).resolve().parent
CACHE_PREFIX = "bench-signin-profile"


@contextmanager
def redis_commands() -> Iterator[list[str]]:
    import redis

    commands: list[str] = []
    original = redis.Redis.execute_command

    def counting(self: Any, *args: Any, **options: Any) -> Any:
        commands.append(f"{args[0]} {str(args[1])[:100] if len(args) > 1 else ''}")
        return original(self, *args, **options)

    redis.Redis.execute_command = counting  # type: ignore[method-assign]
    try:
        yield commands
    finally:
        redis.Redis.execute_command = original  # type: ignore[method-assign]


@contextmanager
def verify_seconds() -> Iterator[list[float]]:
    """CPU seconds spent inside the password hashers' ``verify`` (to take the hash off)."""
    from django.contrib.auth import hashers

    spent: list[float] = []
    patched = []
    for hasher in hashers.get_hashers():
        cls = type(hasher)
        original = cls.verify

        def timed(self: Any, password: str, encoded: str, _original: Any = original) -> bool:
            started = time.process_time()
            try:
                return bool(_original(self, password, encoded))
            finally:
                spent.append(time.process_time() - started)

        cls.verify = timed  # type: ignore[method-assign]
        patched.append((cls, original))
    try:
        yield spent
    finally:
        for cls, original in patched:
            cls.verify = original  # type: ignore[method-assign]


# ``--parts``: inclusive worker CPU of these callables during the timed password POSTs
# ("module:Class.method" or "module:function"; patched where they are defined, so a caller that
# imported the name before patching is not seen: name the method or the module attribute).
PARTS = [
    "django.contrib.sessions.middleware:SessionMiddleware.process_request",
    "django.contrib.sessions.middleware:SessionMiddleware.process_response",
    "django.middleware.csrf:CsrfViewMiddleware.process_view",
    "rxportal.core.db_router:ReadYourWritesMiddleware.__call__",
    "rxportal.accounts.session_timeouts:SessionTimeoutMiddleware.__call__",
    "rxportal.accounts.middleware:ThrottledUserSessionsMiddleware.__call__",
    "rxportal.accounts.middleware:MfaEnrolmentGateMiddleware.__call__",
    "allauth.core.internal.ratelimit:consume",
    "allauth.core.internal.ratelimit:_consume_single_rate",
    "allauth.core.internal.ratelimit:RateLimitUsage.rollback",
    "rxportal.accounts.forms.signin:SiteKeyLoginForm.__init__",
    "rxportal.accounts.flows.signin:current_identity",
    "rxportal.accounts.services.lockout:sign_in_gate",
    "rxportal.accounts.forms.signin:SiteKeyLoginForm.clean",
    "rxportal.accounts.services.lockout:begin_sign_in_attempt",
    "rxportal.accounts.services.lockout:cancel_sign_in_attempt",
    "allauth.account.forms:LoginForm.clean",
    "allauth.account.adapter:DefaultAccountAdapter.pre_authenticate",
    "allauth.account.auth_backends:AuthenticationBackend._authenticate_by_username",
    "rxportal.accounts.forms.signin:SiteKeyLoginForm.login",
    "allauth.account.stages:LoginStageController.handle",
    "allauth.account.stages:EmailVerificationStage.handle",
    "rxportal.accounts.stages:NewDeviceStage.handle",
    "allauth.mfa.stages:AuthenticateStage.handle",
    "rxportal.accounts.stages:SmsSecondFactorStage.handle",
    "rxportal.accounts.stages:SecondFactorPolicyStage.handle",
    "allauth.account.adapter:DefaultAccountAdapter.login",
    "django.contrib.auth:login",
    "django.contrib.sessions.backends.base:SessionBase.cycle_key",
    "rxportal.audit.receivers:record_login",
    "rxportal.clients.apps:_join_role_group",
    "allauth.usersessions.signals:on_user_logged_in",
    "rxportal.accounts.adapters:PortalAccountAdapter.post_login",
    "rxportal.accounts.services.lockout:record_sign_in_success",
    "rxportal.accounts.services.signin:mark_signed_in",
    "allauth.account.adapter:DefaultAccountAdapter.post_login",
    "rxportal.accounts.services.signin:first_page_after_sign_in",
    "rxportal.accounts.services.signin:rotate_session_key",
]


@contextmanager
def parts_cpu(names: list[str]) -> Iterator[dict[str, list[float]]]:
    """Inclusive CPU seconds per call of each named callable (a recursive call counts once)."""
    import importlib

    spent: dict[str, list[float]] = {name: [] for name in names}
    restore = []
    for name in names:
        module_name, _, attribute = name.partition(":")
        owner: Any = importlib.import_module(module_name)
        *path, leaf = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = owner.__dict__[leaf] if isinstance(owner, type) else getattr(owner, leaf)
        depth = [0]

        def timed(
            *args: Any, _original: Any = original, _name: str = name, _depth: Any = depth, **kw: Any
        ) -> Any:
            if _depth[0]:
                return _original(*args, **kw)
            _depth[0] += 1
            started = time.process_time()
            try:
                return _original(*args, **kw)
            finally:
                spent[_name].append(time.process_time() - started)
                _depth[0] -= 1

        setattr(owner, leaf, timed)
        restore.append((owner, leaf, original))
    try:
        yield spent
    finally:
        for owner, leaf, original in reversed(restore):
            setattr(owner, leaf, original)


def to_password_step(user: dict[str, str], cookie_name: str, index: int) -> Any:
    from django.test import Client

    # One address per browser, as real sign-ins come from many: allauth's per-address limits
    # stay on (their cost is part of the request) without refusing the run.
    client = Client(
        HTTP_HOST="127.0.0.1",
        HTTP_USER_AGENT="bench/signin_profile.py",
        REMOTE_ADDR=f"127.0.{index // 250}.{index % 250 + 1}",
    )
    client.cookies[cookie_name] = user["device_cookie"]
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": user["username"]})
    assert response.status_code == 302, response.status_code
    page = client.get("/accounts/login/password/")
    assert "Morning tea by the lake" in page.content.decode()
    return client


def post_password(client: Any) -> Any:
    from signin import PASSWORD

    response = client.post("/accounts/login/password/", {"password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database-name", default="rxportal_bench_signin_profile")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profiled", type=int, default=10)
    parser.add_argument("--profile-lines", type=int, default=60)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument(
        "--ratelimits",
        action="store_true",
        help="keep allauth's rate limits on, as in production (signin.py's server has them off)",
    )
    parser.add_argument(
        "--parts", action="store_true", help="inclusive CPU of the sign-in's parts (PARTS)"
    )
    parser.add_argument(
        "--template",
        default="",
        help="a migrated database (idle) to copy instead of running migrate (saves a minute)",
    )
    args = parser.parse_args()
    require_loopback(args.redis_url, schemes={"redis"})
    timed_count = (args.users - args.warmup - args.profiled - 1) // (2 if args.parts else 1)
    if timed_count < 5:
        raise SystemExit("--users must leave at least 5 timed sign-ins")

    with fresh_database(
        args.server_url, args.database_name, template=args.template
    ) as database_url:
        extra_env = {"RXPORTAL_CACHE_PREFIX": CACHE_PREFIX}
        if not args.ratelimits:  # as signin.py's server: all its browsers share one address
            extra_env["RXPORTAL_RATELIMITS_ENABLED"] = "0"
        setup_django(database_url, redis_url=args.redis_url, extra_env=extra_env)
        try:
            run(args, timed_count)
        finally:
            from benchlib import forget_redis_keys

            forget_redis_keys(args.redis_url, CACHE_PREFIX)


def run(args: argparse.Namespace, timed_count: int) -> None:
    import json
    import tempfile

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sys.path.insert(0, str(BENCH_DIR))
    import signin

    assert settings.CACHES["default"]["KEY_PREFIX"] == CACHE_PREFIX, "cache prefix not applied"
    if not args.template:
        call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "users.json"
        signin.create_users(args.users, str(out))
        data = json.loads(out.read_text(encoding="utf-8"))
    users, cookie_name = data["users"], data["device_cookie_name"]

    warm, rest = users[: args.warmup], users[args.warmup :]
    timed, rest = rest[:timed_count], rest[timed_count:]
    parted, rest = (rest[:timed_count], rest[timed_count:]) if args.parts else ([], rest)
    traced, profiled = rest[0], rest[1 : 1 + args.profiled]
    for user in warm:
        post_password(to_password_step(user, cookie_name, users.index(user)))

    cpu_ms: list[float] = []
    for user in timed:
        client = to_password_step(user, cookie_name, users.index(user))
        with verify_seconds() as hashing:
            started = time.process_time()
            post_password(client)
            spent = time.process_time() - started
        cpu_ms.append((spent - sum(hashing)) * 1000)
    if args.parts:
        part_ms: dict[str, list[float]] = {name: [] for name in PARTS}
        for user in parted:
            client = to_password_step(user, cookie_name, users.index(user))
            with parts_cpu(PARTS) as spent_by_part:
                post_password(client)
            for name, calls in spent_by_part.items():
                part_ms[name].append(sum(calls) * 1000)
        print("== parts of the password POST: mean worker CPU ms per POST, inclusive")
        for name in PARTS:
            print(f"  {statistics.mean(part_ms[name]):6.2f}  {name}")

    client = to_password_step(traced, cookie_name, users.index(traced))
    with redis_commands() as commands, CaptureQueriesContext(connection) as queries:
        response = post_password(client)
    print(f"== POST password -> {response['Location']}")
    print(
        f"worker CPU besides the verify: median {statistics.median(cpu_ms):.1f} ms, "
        f"mean {statistics.mean(cpu_ms):.1f} ms over {len(cpu_ms)} sign-ins"
    )
    print(f"{len(queries.captured_queries)} SQL statements, {len(commands)} Redis commands")
    for query in queries.captured_queries:
        print(f"  SQL   {query['sql'][:150]}")
    for command in commands:
        print(f"  REDIS {command}")

    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL or Redis
    for user in profiled:
        client = to_password_step(user, cookie_name, users.index(user))
        profiler.enable()
        post_password(client)
        profiler.disable()
    out_text = io.StringIO()
    stats = pstats.Stats(profiler, stream=out_text)
    stats.sort_stats(args.sort).print_stats(args.profile_lines)
    print(out_text.getvalue())


if __name__ == "__main__":
    main()
