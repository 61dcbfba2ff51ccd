"""The Redis cache keeps one client per connection pool: Django's own builds a `redis.Redis` for
every command, which cost about 60 µs each here. Needs no Redis server: clients connect lazily."""

from __future__ import annotations

import os

import pytest

from rxportal.operations.instrumented_caches import InstrumentedRedisCache, PooledRedisCache

SERVER = "redis://127.0.0.1:6379/15"


@pytest.mark.parametrize("backend", [PooledRedisCache, InstrumentedRedisCache])
def test_every_command_of_a_cache_uses_the_same_client(backend: type[PooledRedisCache]) -> None:
    cache = backend(SERVER, {})

    first = cache._cache.get_client("a", write=True)  # type: ignore[attr-defined]
    again = cache._cache.get_client("b", write=False)  # type: ignore[attr-defined]

    assert first is again
    assert first.connection_pool is cache._cache._get_connection_pool(False)  # type: ignore[attr-defined]


def test_two_caches_do_not_share_a_client() -> None:
    one, other = PooledRedisCache(SERVER, {}), PooledRedisCache("redis://127.0.0.1:6379/14", {})

    assert one._cache.get_client() is not other._cache.get_client()  # type: ignore[attr-defined]
    assert other._cache.get_client().connection_pool.connection_kwargs["db"] == 14  # type: ignore[attr-defined]


def test_the_settings_use_it_with_redis() -> None:
    """base.py names the pooled backend; the metrics swap it for its counting subclass."""
    from rxportal.settings.metrics import instrument_caches

    caches = {"default": {"BACKEND": "rxportal.operations.instrumented_caches.PooledRedisCache"}}
    instrument_caches(caches)
    assert caches["default"]["BACKEND"].endswith(".InstrumentedRedisCache")


def test_a_forked_worker_gets_fresh_connections() -> None:
    """redis-py's pool notices a new process id and drops the parent's connections, so sharing
    one client object from a pre-fork import is safe (gunicorn forks after loading the app)."""
    cache = PooledRedisCache(SERVER, {})
    pool = cache._cache._get_connection_pool(True)  # type: ignore[attr-defined]
    pool.pid = os.getpid() + 1  # as if this pool was made in the parent before a fork
    pool._checkpid()
    assert pool.pid == os.getpid()
