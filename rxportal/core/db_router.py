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
  the audit chain's head, a row locked for update).

Writes always go to the primary; the replica is read-only anyway. Who may see what (the family
rule, grants) is read outside these blocks, from the primary, so a revoked grant never lingers
on a lagging replica. A lazy queryset is routed when it runs, not when it is built: one that
leaves the block (a streamed download) runs on the primary.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

REPLICA_ALIAS = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_replica_wanted: ContextVar[bool] = ContextVar("rxportal_replica_wanted", default=False)
_pinned_to_primary: ContextVar[bool] = ContextVar("rxportal_pinned_to_primary", default=False)

P = ParamSpec("P")
R = TypeVar("R")


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


def alias_for_read() -> str:
    """Where a read issued now goes."""
    if not _replica_wanted.get() or _pinned_to_primary.get() or not replica_is_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
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
