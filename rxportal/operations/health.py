"""Readiness: can this process serve requests now? Each dependency answers or is "down".

Every configured database alias is asked (``default`` as "database"; the read replica, when
settings define one, under its alias), and Redis when ``REDIS_URL`` is set. A check says
only ok or down: never an address, a driver's message or a secret.

The replica is reported but does not decide readiness: without it the router reads the primary
(rxportal.core.db_router), so a node whose replica is down still serves every page.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import DatabaseError, connections

from rxportal.core.db_router import REPLICA_ALIAS

REDIS_TIMEOUT_SECONDS = 1.0


def database_answers(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        with client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def check_name_for(alias: str) -> str:
    return "database" if alias == "default" else alias


def check_readiness() -> dict[str, bool]:
    """Each dependency's name and whether it answered."""
    checks = {check_name_for(alias): database_answers(alias) for alias in settings.DATABASES}
    if settings.REDIS_URL:
        checks["redis"] = redis_answers(settings.REDIS_URL)
    return checks


def is_ready(checks: dict[str, bool]) -> bool:
    """Every check but the replica's answered (the primary stands in for the replica)."""
    return all(answered for name, answered in checks.items() if name != REPLICA_ALIAS)
