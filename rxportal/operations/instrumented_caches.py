"""Django's cache backends, counting gets, hits and misses in django-prometheus's metrics.

django-prometheus ships wrappers too, but its Redis one needs django-redis and its local-memory
one returns the default for a cached falsy value (0, "", False), which would turn a cached
unread count of 0 into a miss. These count with a sentinel and return exactly what Django's
backend returns. The label is the backend's kind, never a key.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

_MISSING = object()


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


class InstrumentedRedisCache(_CountingGetMixin, RedisCache):
    metrics_label = "redis"


class InstrumentedDatabaseCache(_CountingGetMixin, DatabaseCache):
    metrics_label = "database"


class InstrumentedLocMemCache(_CountingGetMixin, LocMemCache):
    metrics_label = "locmem"
