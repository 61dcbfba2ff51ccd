"""Django's cache backends, counting gets, hits and misses in django-prometheus's metrics, and
a Redis backend that keeps one client per connection pool.

django-prometheus ships wrappers too, but its Redis one needs django-redis and its local-memory
one returns the default for a cached falsy value (0, "", False), which would turn a cached
unread count of 0 into a miss. These count with a sentinel and return exactly what Django's
backend returns. The label is the backend's kind, never a key.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

_MISSING = object()


class _OneClientPerPool(RedisCacheClient):
    """Django builds a new `redis.Redis` for every command (about 60 µs here, and a request sends
    3 to 27). A client holds no connection of its own, only its pool, and is safe across
    threads; the pool reconnects after a fork. So one per pool serves every command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class PooledRedisCache(RedisCache):
    """Django's Redis cache with one client per connection pool (see `_OneClientPerPool`)."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _OneClientPerPool


class _CountingGetMixin:
    metrics_label = ""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        django_cache_get_total.labels(backend=self.metrics_label).inc()
        try:
            value = super().get(key, _MISSING, version)  # type: ignore[misc]
        except Exception:
            django_cache_get_fail_total.labels(backend=self.metrics_label).inc()
            raise
        if value is _MISSING:
            django_cache_misses_total.labels(backend=self.metrics_label).inc()
            return default
        django_cache_hits_total.labels(backend=self.metrics_label).inc()
        return value


class InstrumentedRedisCache(_CountingGetMixin, PooledRedisCache):
    metrics_label = "redis"


class InstrumentedDatabaseCache(_CountingGetMixin, DatabaseCache):
    metrics_label = "database"


class InstrumentedLocMemCache(_CountingGetMixin, LocMemCache):
    metrics_label = "locmem"
