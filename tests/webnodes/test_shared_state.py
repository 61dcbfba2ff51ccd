"""What lets any node answer any request: the settings every web node runs with put sessions,
the cache and rate limits in the one Redis (no database or Redis is touched here)."""

from __future__ import annotations

import json
import subprocess

from bench import webnodes

READ_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
cache = settings.CACHES["default"]
print(json.dumps({
    "session_engine": settings.SESSION_ENGINE,
    "session_cache": settings.SESSION_CACHE_ALIAS,
    # Django's Redis cache, or the metrics' counting subclass of it.
    "cache": [isinstance(caches["default"], RedisCache), cache["LOCATION"], cache["KEY_PREFIX"]],
    "rate_limits": bool(settings.ACCOUNT_RATE_LIMITS),
    "trusted_proxies": settings.RXPORTAL_TRUSTED_PROXY_COUNT,
}))
"""


def test_every_node_keeps_sessions_cache_and_rate_limits_in_the_shared_redis() -> None:
    env = webnodes.node_environment(
        database_url="postgres://postgres@127.0.0.1:5432/rxportal_nodes_settings",
        redis_url="redis://127.0.0.1:6379/15",
        cache_prefix="rxportal-nodes",
    )

    result = subprocess.run(
        [webnodes.PYTHON, "-c", READ_SETTINGS],
        cwd=webnodes.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "session_engine": "django.contrib.sessions.backends.cache",
        "session_cache": "default",
        "cache": [True, "redis://127.0.0.1:6379/15", "rxportal-nodes"],
        "rate_limits": True,
        "trusted_proxies": 1,
    }
