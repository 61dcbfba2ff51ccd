"""A witness, outside the database, of every pending audit event that committed.

A pending event waits a few seconds in ``PendingAuditEvent`` before the sealer chains it; in
that time a database superuser could delete the row, and the database alone would show nothing.
So when the recording transaction commits, the event's public id (and action) is added to a
Redis sorted set; the sealer removes the ids it chains and, under the chain lock, looks for ids
whose row is neither pending nor chained: deleted unseen. Written after commit, so a rolled-back
event leaves no witness; a process that dies between the commit and the write leaves a row
without a witness, which is harmless (the row's seal still proves its content).

Without ``REDIS_URL`` (development, the SQLite tests) the witness is this process's memory:
enough for one process, and deferred append in production requires Redis anyway.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# Without Redis: witness key -> {member: time witnessed}.
_memory: dict[str, dict[str, float]] = {}


def _redis() -> Any:
    url = getattr(settings, "REDIS_URL", "")
    return _client_for(url) if url else None


@functools.cache
def _client_for(url: str) -> redis.Redis:
    """One client (and connection pool) per process: ``record`` runs on every audited request,
    which must not open a new connection each time. redis-py renews the pool after a fork."""
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def _key() -> str:
    """Under the cache's prefix (RXPORTAL_CACHE_PREFIX): one Redis database may serve more
    than one portal, and another portal's events have no row here (its sealer's, not ours)."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:audit:pending-witness"


def _memory_set() -> dict[str, float]:
    return _memory.setdefault(_key(), {})


def _member(public_id: str, action: str) -> str:
    return f"{public_id} {action}"


def record(public_id: str, action: str) -> None:
    """After commit, on the request path: one ZADD. Never fails the request (the event is
    committed): a Redis error is logged and the event is only unwitnessed."""
    member = _member(public_id, action)
    client = _redis()
    if client is None:
        _memory_set()[member] = time.time()
        return
    try:
        client.zadd(_key(), {member: time.time()})
    except redis.RedisError:
        logger.warning("audit.pending_witness_unavailable")


def forget(events: list[tuple[str, str]]) -> None:
    """The sealer, after it committed these (public id, action) pairs to the chain."""
    members = [_member(public_id, action) for public_id, action in events]
    if not members:
        return
    client = _redis()
    if client is None:
        memory = _memory_set()
        for member in members:
            memory.pop(member, None)
        return
    client.zrem(_key(), *members)


def outstanding() -> list[tuple[str, str]]:
    """Every witnessed (public id, action) not yet forgotten, oldest first."""
    client = _redis()
    if client is None:
        memory = _memory_set()
        members = sorted(memory, key=memory.__getitem__)
    else:
        members = [m.decode() for m in client.zrange(_key(), 0, -1)]
    pairs = [member.split(" ", 1) for member in members]
    return [(pair[0], pair[1] if len(pair) > 1 else "") for pair in pairs]


def clear() -> None:
    """Tests only."""
    client = _redis()
    if client is None:
        _memory.pop(_key(), None)
    else:
        client.delete(_key())
