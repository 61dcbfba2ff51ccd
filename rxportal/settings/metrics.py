"""Prometheus instrumentation wired into settings (django-prometheus): its database backends
and our counting cache backends, swapped in for the engines Django would otherwise use."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

_INSTRUMENTED_DATABASE_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
_INSTRUMENTED_CACHE_BACKENDS = {
    "django.core.cache.backends.redis.RedisCache": (
        "rxportal.operations.instrumented_caches.InstrumentedRedisCache"
    ),
    "rxportal.operations.instrumented_caches.PooledRedisCache": (
        "rxportal.operations.instrumented_caches.InstrumentedRedisCache"
    ),
    "django.core.cache.backends.db.DatabaseCache": (
        "rxportal.operations.instrumented_caches.InstrumentedDatabaseCache"
    ),
    "django.core.cache.backends.locmem.LocMemCache": (
        "rxportal.operations.instrumented_caches.InstrumentedLocMemCache"
    ),
}


def instrument_databases(databases: Mapping[str, Any]) -> None:
    """Count queries, their time and errors per alias (every alias, the replica included)."""
    for database in databases.values():
        engine = database.get("ENGINE", "")
        database["ENGINE"] = _INSTRUMENTED_DATABASE_ENGINES.get(engine, engine)


def instrument_caches(caches: Mapping[str, Any]) -> None:
    """Count cache gets, hits and misses per backend kind."""
    for cache in caches.values():
        backend = cache.get("BACKEND", "")
        cache["BACKEND"] = _INSTRUMENTED_CACHE_BACKENDS.get(backend, backend)


def checked_networks(entries: list[str]) -> list[str]:
    """The metrics allow-list, refused at start-up when an entry is not an address or network."""
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ValueError(
                f"RXPORTAL_METRICS_ALLOWED_IPS: {entry!r} is not an IP address or network"
            ) from exc
    return entries
