"""Test settings: fast hashing, local-memory email, eager tasks; never reads .env."""

import os

os.environ.pop("DJANGO_READ_DOT_ENV", None)

from rxportal.settings.base import *  # noqa: F403
from rxportal.settings.base import DATABASES, REDIS_URL, RXPORTAL_METRICS_ENABLED
from rxportal.settings.metrics import instrument_caches

# Hashing cost is the point of production settings; tests of hashing use the real hasher explicitly.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
RXPORTAL_CREATE_DEMO_ACCOUNTS = True
# No beat runs in tests: events are chained as they are recorded, so tests read them at once.
# tests/audit/test_deferred_append.py switches to "deferred" and seals by hand.
RXPORTAL_AUDIT_APPEND = "inline"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in-memory

# Without Redis, tests keep a local-memory cache (base.py's database cache would need the DB in
# tests that have none); tests/core/test_shared_cache.py runs the embedded default's own cache.
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if RXPORTAL_METRICS_ENABLED:
        instrument_caches(CACHES)

# Parallel or repeated runs against one Redis must not see each other's keys.
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    import uuid

    CACHES["default"]["KEY_PREFIX"] = f"rxportal-test-{uuid.uuid4().hex[:8]}"

# Token ids repeat across tests (rolled-back rows) within one minute's window: the suite's API
# calls must not add up to a 429. tests/api/test_rate_limits.py sets a small limit itself.
RXPORTAL_API_RATE_LIMIT_PER_MINUTE = 100_000

# The replica (DATABASE_REPLICA_URL): the test runner creates test_<name> on the primary only and
# streaming replication copies it over. Test cases run inside a transaction the replica never
# sees, so the suite reads the primary (RXPORTAL_REPLICA_READS off, the alias a mirror of the
# default); tests/core/test_read_replica.py turns replica reads on over a real connection to it.
if "replica" in DATABASES:
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
RXPORTAL_REPLICA_READS = False
