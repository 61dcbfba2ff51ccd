"""Which database a query goes to: the primary, or for the reads chosen below the replica.

Only reads that code asks for explicitly go to the replica: a selector of a history page or a
report runs its queries inside ``reading_from_replica()`` (or under ``@reads_from_replica``).
Everything else reads the primary, and so do those reads when

- there is no replica, or ``RXPORTAL_REPLICA_READS`` is off (the test suite);
- the request is pinned to the primary: it could write (POST, PUT, PATCH, DELETE), it comes
  from a browser that did so less than ``RXPORTAL_REPLICA_PIN_SECONDS`` ago (read your own
  writes; ``ReadYourWritesMiddleware`` sets and reads the cookie), or from an app with a bearer
  token (the JSON API and FHIR, which keep no cookie);
- the primary connection is inside a transaction (a read in the middle of a write must see it:
  the audit chain's head, a row locked for update);
- the replica's last health check failed: it did not answer, or it was more than
  ``RXPORTAL_REPLICA_MAX_LAG_SECONDS`` behind (stale PHI). Each process checks at most every
  ``RXPORTAL_REPLICA_CHECK_SECONDS``, and only when a read asks for the replica, so a replica
  that is down costs one failed probe per process per interval, not a 500 per page.

Writes always go to the primary; the replica is read-only anyway. Who may see what (the family
rule, grants) is read outside these blocks, from the primary, so a revoked grant never lingers
on a lagging replica. A lazy queryset is routed when it runs, not when it is built: one that
leaves the block (a streamed download) runs on the primary.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.connection import ConnectionDoesNotExist

REPLICA_ALIAS = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_replica_wanted: ContextVar[bool] = ContextVar("rxportal_replica_wanted", default=False)
_pinned_to_primary: ContextVar[bool] = ContextVar("rxportal_pinned_to_primary", default=False)

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger(__name__)

# How far behind the primary the replica is, in seconds: none when it has replayed all it
# received; otherwise the age of the last transaction it replayed. NULL (never replayed one
# and not caught up) reads as unknown, which the router treats as too far behind.
REPLICA_LAG_SQL = """
    SELECT CASE
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
    END
"""

# This process's last verdict on the replica: (monotonic time of the check, usable).
_replica_health: tuple[float, bool] | None = None
_replica_health_lock = threading.Lock()


def replica_is_configured() -> bool:
    return bool(settings.RXPORTAL_REPLICA_READS) and REPLICA_ALIAS in settings.DATABASES


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside go to the replica (when there is one and nothing pins them to the primary)."""
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


def reads_from_replica(function: Callable[P, R]) -> Callable[P, R]:
    """The decorated selector's queries run inside ``reading_from_replica()``."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with reading_from_replica():
            return function(*args, **kwargs)

    return wrapper


@contextmanager
def pinned_to_primary() -> Iterator[None]:
    """Reads inside go to the primary, even those asked to go to the replica."""
    token = _pinned_to_primary.set(True)
    try:
        yield
    finally:
        _pinned_to_primary.reset(token)


def measure_replica_lag_seconds() -> float | None:
    """The replica's lag (``REPLICA_LAG_SQL``); None when unknown. Raises DatabaseError."""
    with connections[REPLICA_ALIAS].cursor() as cursor:
        cursor.execute(REPLICA_LAG_SQL)
        row = cursor.fetchone()
    return None if row is None or row[0] is None else float(row[0])


def _replica_passes_a_check() -> bool:
    try:
        lag = measure_replica_lag_seconds()
    except DatabaseError as error:
        # The class only: a driver's message can name the host and user.
        logger.warning("replica_down", extra={"error": type(error).__name__})
        with contextlib.suppress(DatabaseError, ConnectionDoesNotExist):
            connections[REPLICA_ALIAS].close()  # reconnect at the next check
        return False
    if lag is None or lag > settings.RXPORTAL_REPLICA_MAX_LAG_SECONDS:
        logger.warning("replica_lagging", extra={"lag_seconds": lag})
        return False
    return True


def replica_is_usable() -> bool:
    """Whether reads may go to the replica: its last check, at most
    ``RXPORTAL_REPLICA_CHECK_SECONDS`` old in this process, found it answering and close behind."""
    global _replica_health
    with _replica_health_lock:
        last = _replica_health
        now = time.monotonic()
        if last is not None and now - last[0] < settings.RXPORTAL_REPLICA_CHECK_SECONDS:
            return last[1]
        usable = _replica_passes_a_check()
        _replica_health = (time.monotonic(), usable)
        return usable


def forget_replica_health() -> None:
    """The next read that asks for the replica checks it again (tests; nothing else needs it)."""
    global _replica_health
    with _replica_health_lock:
        _replica_health = None


def alias_for_read() -> str:
    """Where a read issued now goes."""
    if not _replica_wanted.get() or _pinned_to_primary.get() or not replica_is_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if not replica_is_usable():
        return DEFAULT_DB_ALIAS
    return REPLICA_ALIAS


class ReplicaRouter:
    """Django's database router over ``alias_for_read`` (see the module's docstring)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return alias_for_read()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from either may point at the other.
        databases = {DEFAULT_DB_ALIAS, REPLICA_ALIAS}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA_ALIAS else None


class ReadYourWritesMiddleware:
    """Pins a request to the primary when it could write or when its browser wrote recently.

    After a POST, PUT, PATCH or DELETE the response sets a cookie for
    ``RXPORTAL_REPLICA_PIN_SECONDS``: the page the form redirects to, and the next pages for that
    long, read from the primary, so a member sees what they just did however far the replica lags.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        could_write = request.method not in SAFE_METHODS
        # Apps (bearer tokens) keep no cookie, so they read the primary throughout.
        app = "HTTP_AUTHORIZATION" in request.META
        # The cookie's presence (any value) pins; it expires by itself.
        pinned = settings.RXPORTAL_PRIMARY_PIN_COOKIE_NAME in request.COOKIES
        token = _pinned_to_primary.set(could_write or app or pinned)
        try:
            response = self.get_response(request)
        finally:
            _pinned_to_primary.reset(token)
        if could_write and replica_is_configured():
            name = settings.RXPORTAL_PRIMARY_PIN_COOKIE_NAME
            response.set_cookie(
                name,
                "1",
                max_age=settings.RXPORTAL_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE or name.startswith("__Host-"),
                httponly=True,
                samesite="Lax",
            )
        return response
