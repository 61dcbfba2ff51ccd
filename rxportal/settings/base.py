"""Settings shared by every environment, all driven by the environment (secure defaults)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from rxportal.connected_apps.scopes import SCOPE_DESCRIPTIONS
from rxportal.operations.log_format import FORMATTERS, chosen_log_format
from rxportal.settings.env import (
    BASE_DIR,
    VAR_DIR,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key_for,
)

RXPORTAL_ENV = env_str("RXPORTAL_ENV", "development")
if RXPORTAL_ENV not in {"development", "production"}:
    raise ValueError("RXPORTAL_ENV must be 'development' or 'production'")

SECRET_KEY = secret_key_for(RXPORTAL_ENV)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "rxportal.core",
    "rxportal.audit",
    "rxportal.accounts",
    "rxportal.clients",
    "rxportal.plans",
    "rxportal.formulary",
    "rxportal.pharmacies",
    "rxportal.members",
    "rxportal.prescriptions",
    "rxportal.claims",
    "rxportal.pricing",
    "rxportal.orders",
    "rxportal.analytics",
    "rxportal.sponsor_tools",
    "rxportal.whatif",
    "rxportal.web",
    "rxportal.staff",
    "rxportal.demo",
    "rxportal.content",
    "rxportal.notifications",
    "rxportal.connected_apps",
    "rxportal.records",
    "rxportal.api",
    "rxportal.fhir",
    "oauth2_provider",
    # Wagtail (the clients' content hub at /hub/, its editor at /cms/): rxportal/content.
    "wagtail.contrib.routable_page",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]

MIDDLEWARE = [
    # First: every later middleware's log lines carry the request id (and the access line).
    "rxportal.operations.request_ids.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pins requests that write, and a browser's next pages, to the primary database.
    "rxportal.core.db_router.ReadYourWritesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # 15 min idle / 12 h absolute (before allauth's session tracking touches an expired one).
    "rxportal.accounts.session_timeouts.SessionTimeoutMiddleware",
    "rxportal.accounts.middleware.ThrottledUserSessionsMiddleware",
    "rxportal.accounts.middleware.MfaEnrolmentGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so its 413 page has every header and the language; it still runs before any view or
    # process_view (CSRF) reads the body.
    "rxportal.core.middleware.RequestBodyLimitMiddleware",
]

ROOT_URLCONF = "rxportal.urls"
WSGI_APPLICATION = "rxportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "rxportal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "rxportal.web.context_processors.portal",
            ],
        },
    },
]

# --- Database: embedded SQLite by default, PostgreSQL (persistent connections) by URL.
VAR_DIR.mkdir(exist_ok=True)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rxportal.sqlite3'}")
_is_postgres = DATABASE_URL.startswith(("postgres://", "postgresql://"))
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        # A new connection per request cut throughput ten-fold when measured here.
        conn_max_age=env_int("RXPORTAL_DB_CONN_MAX_AGE", 600) if _is_postgres else 0,
        conn_health_checks=_is_postgres,
    )
}
# An unreachable server fails a request (and /readyz) in seconds, not the OS's minutes; TCP
# keepalives notice a server that went silent under an open connection.
_POSTGRES_CONNECTION_OPTIONS = {
    "connect_timeout": env_int("RXPORTAL_DB_CONNECT_TIMEOUT", 5),
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
if _is_postgres:
    DATABASES["default"]["OPTIONS"] = {
        **_POSTGRES_CONNECTION_OPTIONS,
        **DATABASES["default"].get("OPTIONS", {}),
    }
if not _is_postgres:
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
# A PostgreSQL streaming replica (DATABASE_REPLICA_URL): history pages and reports read from it
# through rxportal.core.db_router; nothing writes to it. A physical replica holds every database
# of its primary, so a URL without a database name reads the primary's (DATABASE_URL's) database.
# SQLite has no replicas: without a PostgreSQL DATABASE_URL the setting is unused (and production
# refuses SQLite anyway).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL and _is_postgres:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("RXPORTAL_DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
    DATABASES["replica"]["NAME"] = DATABASES["replica"]["NAME"] or DATABASES["default"]["NAME"]
    # The same timeouts as the primary: a replica that accepts but never answers must not hang
    # a worker (the router then falls back to the primary).
    DATABASES["replica"]["OPTIONS"] = {
        **_POSTGRES_CONNECTION_OPTIONS,
        **DATABASES["replica"].get("OPTIONS", {}),
    }
DATABASE_ROUTERS = ["rxportal.core.db_router.ReplicaRouter"]
# Whether the router sends the chosen reads to the replica at all (off without a replica).
RXPORTAL_REPLICA_READS = "replica" in DATABASES
# Read your own writes: after a request that could write (POST, PUT, PATCH, DELETE), that
# browser reads from the primary for this long. Keep it above the replica's usual lag.
RXPORTAL_REPLICA_PIN_SECONDS = env_int("RXPORTAL_REPLICA_PIN_SECONDS", 10)
# The router uses the replica only while its last health check (run at most every this many
# seconds per process) found it answering and at most RXPORTAL_REPLICA_MAX_LAG_SECONDS behind.
RXPORTAL_REPLICA_CHECK_SECONDS = env_int("RXPORTAL_REPLICA_CHECK_SECONDS", 5)
RXPORTAL_REPLICA_MAX_LAG_SECONDS = env_int("RXPORTAL_REPLICA_MAX_LAG_SECONDS", 30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache, sessions, Celery: Redis when REDIS_URL is set; otherwise the database cache, which
# every gunicorn worker shares (a per-process cache made rate limits and one-use CAPTCHA tokens
# as many times looser as there are workers). Its `add` is atomic (a primary key), which
# allauth's rate-limit lock and our CAPTCHA nonces rely on; file-based caching's is not. The table
# is made by `createcachetable`, run after every `migrate` (rxportal.core.apps).
REDIS_URL = env_str("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, keeping one client per pool (instrumented_caches).
            "BACKEND": "rxportal.operations.instrumented_caches.PooledRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("RXPORTAL_CACHE_PREFIX", "rxportal"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    CELERY_BROKER_URL = REDIS_URL
    # Tasks go to the Redis broker for the workers; RXPORTAL_TASKS_INLINE runs them in the
    # request instead (the browser tests' server on PostgreSQL + Redis, which starts no worker).
    CELERY_TASK_ALWAYS_EAGER = env_bool("RXPORTAL_TASKS_INLINE", False)
    # The broker queue the portal's tasks go to and its workers read: one Redis database can
    # serve more than one portal (the real-worker tests start a worker on a queue of their own).
    CELERY_TASK_DEFAULT_QUEUE = env_str("RXPORTAL_TASK_QUEUE", "celery")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "rxportal_cache",
            "KEY_PREFIX": env_str("RXPORTAL_CACHE_PREFIX", "rxportal"),
            # Django's default (300) would cull live rate-limit windows under load. The sign-in
            # lock-out's per-address and global counters and the reset code-check and answer
            # counters are not here (accounts.RateCounter: atomic, never culled); allauth's
            # rate limits and the CAPTCHA nonces are.
            "OPTIONS": {"MAX_ENTRIES": env_int("RXPORTAL_DB_CACHE_MAX_ENTRIES", 100_000)},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
# The member dashboard's cached reads and rendered content (PHI): sealed with Fernet under
# RXPORTAL_CACHE_KEY (a Fernet key; empty: one derived from SECRET_KEY) and kept this long.
RXPORTAL_CACHE_KEY = env_str("RXPORTAL_CACHE_KEY", "")
RXPORTAL_DASHBOARD_CACHE_SECONDS = env_int("RXPORTAL_DASHBOARD_CACHE_SECONDS", 300)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# The outbox's lease: a worker that claims a batch of messages sends them within the first half
# of it; a row still queued when it ends (its worker died) is due again for the sweep.
RXPORTAL_OUTBOX_LEASE_SECONDS = env_int("RXPORTAL_OUTBOX_LEASE_SECONDS", 120)
CELERY_TIMEZONE = "UTC"
# How the audit trail is appended (rxportal/audit/services.py): "inline" chains each event in the
# request; "deferred" costs the request one INSERT and lets beat's audit.seal_pending_events
# chain it seconds later. Deferred needs beat, so it is the default only when tasks go to a worker.
RXPORTAL_AUDIT_APPEND = env_str(
    "RXPORTAL_AUDIT_APPEND", "inline" if CELERY_TASK_ALWAYS_EAGER else "deferred"
)
if RXPORTAL_AUDIT_APPEND not in {"inline", "deferred"}:
    raise ValueError("RXPORTAL_AUDIT_APPEND must be 'inline' or 'deferred'")
# A deferred event that is its transaction's only write (a PHI read) commits without waiting
# for PostgreSQL's WAL flush (audit/services.py says what that risks: a database-server crash in
# the last ~0.6 s; never a web process's death). Set 0 to wait for the disk on every event.
RXPORTAL_AUDIT_ASYNC_COMMIT = env_bool("RXPORTAL_AUDIT_ASYNC_COMMIT", True)
# Periodic jobs (celery beat). Each task is safe to run twice.
CELERY_BEAT_SCHEDULE = {
    # Deferred audit events wait at most this long to be chained (a no-op when inline).
    "audit.seal_pending_events": {
        "task": "audit.seal_pending_events",
        "schedule": 2.0,  # seconds
        # A stale one is pointless (the next comes 2 s later): none pile up behind a busy queue.
        "options": {"expires": 10},
    },
    "prescriptions.run_due_auto_refills": {
        "task": "prescriptions.run_due_auto_refills",
        "schedule": crontab(hour=6, minute=0),
    },
    # After the automatic refills: a prescription on them gets no reminder.
    "prescriptions.send_refill_reminders": {
        "task": "prescriptions.send_refill_reminders",
        "schedule": crontab(hour=14, minute=0),  # 9 or 10 in the morning on the US east coast
    },
    "accounts.purge_expired_counters": {
        "task": "accounts.purge_expired_counters",
        "schedule": crontab(minute=17),
    },
    "clients.record_due_expiries": {
        "task": "clients.record_due_expiries",
        "schedule": crontab(hour=5, minute=30),
    },
    "clients.warn_of_due_expiries": {
        "task": "clients.warn_of_due_expiries",
        "schedule": crontab(hour=13, minute=0),  # 8 or 9 a.m. in New York: read the same day
    },
    "sponsor_tools.purge_expired_claims_reports": {
        "task": "sponsor_tools.purge_expired_claims_reports",
        "schedule": crontab(minute=41),
    },
    # Scheduled formulary changes whose day has come (announced 30 days before).
    "formulary.apply_due_formulary_changes": {
        "task": "formulary.apply_due_formulary_changes",
        "schedule": crontab(hour=0, minute=15),
    },
    # The outbox's safety net: queued messages whose task was lost, and retries that are due.
    "notifications.deliver_due_notifications": {
        "task": "notifications.deliver_due_notifications",
        "schedule": crontab(),  # every minute
    },
    # Members' notices: late mail orders and the new plan year (each tells once).
    "orders.send_late_order_notices": {
        "task": "orders.send_late_order_notices",
        "schedule": crontab(hour=9, minute=0),
    },
    "plans.send_new_plan_year_notices": {
        "task": "plans.send_new_plan_year_notices",
        "schedule": crontab(hour=8, minute=0),
    },
    # The hub's and help center's scheduled go-live and expiry times (set in Wagtail's editor).
    "content.publish_scheduled_pages": {
        "task": "content.publish_scheduled_pages",
        "schedule": crontab(minute="*/5"),
    },
    # Next year's claims partition, made a year ahead; drains the DEFAULT partition (PostgreSQL).
    "claims.ensure_claim_partitions": {
        "task": "claims.ensure_claim_partitions",
        "schedule": crontab(hour=3, minute=10),
    },
    # The JSON API's Idempotency-Key records, a day after their request.
    "api.purge_stale_idempotency_records": {
        "task": "api.purge_stale_idempotency_records",
        "schedule": crontab(minute=29),
    },
}

# --- Passwords: Argon2id over NFKC-normalized input (rxportal/accounts/hashers.py). The first
# hasher makes new hashes (argon2_nfkc$); the legacy one owns the "argon2" name, so Django's
# stock Argon2 hasher is deliberately absent (for a shared name the last listed hasher wins,
# and it would check passwords without normalizing). Older hashes are re-hashed at sign-in.
PASSWORD_HASHERS = [
    "rxportal.accounts.hashers.PortalArgon2PasswordHasher",
    "rxportal.accounts.hashers.LegacyPortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# NIST SP 800-63B: 15 to 256 characters (any Unicode, spaces welcome, no composition rules),
# not common or breached (Django's list comes from breach corpora: our offline breached-password
# check), not a sequence or repetition, and not containing the username, email or names. The
# rationale is in rxportal/accounts/password_validation.py.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "rxportal.accounts.password_validation.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "rxportal.accounts.password_validation.PredictablePasswordValidator"},
    {"NAME": "rxportal.accounts.password_validation.PersonalInfoPasswordValidator"},
]
# One backend: allauth's subclasses ModelBackend (permissions work) and hashes a dummy password
# for unknown usernames, so a miss costs the same Argon2 work as a wrong password.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:home"

# --- Sessions and cookies.
# The cookie's own age slides on every save: the idle and absolute limits are enforced by
# rxportal.accounts.session_timeouts (RXPORTAL_SESSION_* below); this only bounds storage.
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content Security Policy: everything is served from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Internationalization: English and Spanish.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Español"))]
LOCALE_PATHS = [BASE_DIR / "rxportal" / "locale"]
TIME_ZONE = env_str("RXPORTAL_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# --- Request bodies: no page takes an upload, so bodies are small everywhere. The middleware
# rxportal.core.middleware.RequestBodyLimitMiddleware refuses larger ones with a 413 before Django
# reads them (gunicorn cannot cap bodies); Django's own caps below are the second line. A prefix in
# RXPORTAL_REQUEST_BODY_LIMITS_BY_PREFIX (e.g. {"/cms/": 50 * 1024 * 1024}) raises the limit for
# signed-in users there, and only there may an upload be streamed to a temporary file.
RXPORTAL_MAX_REQUEST_BODY_BYTES = env_int("RXPORTAL_MAX_REQUEST_BODY_BYTES", 1024 * 1024)
RXPORTAL_REQUEST_BODY_LIMITS_BY_PREFIX: dict[str, int] = {}
DATA_UPLOAD_MAX_MEMORY_SIZE = max(
    [RXPORTAL_MAX_REQUEST_BODY_BYTES, *RXPORTAL_REQUEST_BODY_LIMITS_BY_PREFIX.values()]
)
FILE_UPLOAD_MAX_MEMORY_SIZE = RXPORTAL_MAX_REQUEST_BODY_BYTES
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]

# --- Static files: served locally (WhiteNoise), never from a CDN.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Logging (docs/operations.md, "Logs"): one line per record, JSON in production
# (RXPORTAL_LOG_FORMAT=json|plain), each with the request id (rxportal.operations.request_ids)
# and never PHI, passwords or codes: log public ids and error codes.
LOGGING_CONFIG = "rxportal.operations.log_format.configure_logging"
RXPORTAL_LOG_FORMAT = chosen_log_format(
    rxportal_env=RXPORTAL_ENV, configured=env_str("RXPORTAL_LOG_FORMAT")
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "rxportal.operations.request_ids.RequestIdLogFilter"}},
    # Defined once for Django, Celery and gunicorn's own lines (gunicorn.conf.py).
    "formatters": copy.deepcopy(FORMATTERS),
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": RXPORTAL_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("RXPORTAL_LOG_LEVEL", "INFO")},
    # Wagtail's search and reference index run as immediate django-tasks: one line each.
    "loggers": {"django_tasks": {"level": "WARNING"}},
}
# Celery workers log through the same handler (and format) instead of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Metrics (docs/operations.md, "Metrics"): django-prometheus's request latency by view name,
# queries per database alias and cache gets per backend, the Celery queue depth; served at
# /metrics only to RXPORTAL_METRICS_ALLOWED_IPS (the client's address behind trusted proxies)
# and, when set, with RXPORTAL_METRICS_BEARER_TOKEN. RXPORTAL_METRICS_ENABLED=0 leaves the
# plain backends (benchmarks of the bare stack). gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR.
from rxportal.settings.metrics import (  # noqa: E402
    checked_networks,
    instrument_caches,
    instrument_databases,
)

RXPORTAL_METRICS_ENABLED = env_bool("RXPORTAL_METRICS_ENABLED", True)
RXPORTAL_METRICS_ALLOWED_IPS = checked_networks(
    env_list("RXPORTAL_METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
)
RXPORTAL_METRICS_BEARER_TOKEN = env_str("RXPORTAL_METRICS_BEARER_TOKEN", "")
# Production sets this: without a token there, /metrics answers no one.
RXPORTAL_METRICS_REQUIRE_TOKEN = False
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")
if RXPORTAL_METRICS_ENABLED:
    MIDDLEWARE.insert(1, "django_prometheus.middleware.PrometheusBeforeMiddleware")
    MIDDLEWARE.insert(
        MIDDLEWARE.index("rxportal.core.middleware.RequestBodyLimitMiddleware"),
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    )
    instrument_databases(DATABASES)
    instrument_caches(CACHES)

# --- Email: the console in development (messages, one-time codes included, go to stdout), SMTP
# in production. The browser tests use the file backend to read the codes they are sent.
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if RXPORTAL_ENV == "development"
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env_str("DJANGO_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# A hung mail server must not outlast half the outbox's lease (RXPORTAL_OUTBOX_LEASE_SECONDS).
EMAIL_TIMEOUT = 30

# --- Wagtail: the clients' and advisors' content hub (rxportal/content). Editors work at /cms/
# (PBM staff with the "Content editors" group only); pages are served at /hub/ to the audience
# each page names. One page tree per language, kept in step by simple_translation.
WAGTAIL_SITE_NAME = "rxportal"
# The portal's address as people reach it: links in emails (one-click unsubscribe) and Wagtail's.
RXPORTAL_BASE_URL = env_str("RXPORTAL_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_BASE_URL = RXPORTAL_BASE_URL
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
# Email addresses change through My Account (allauth verifies them), never in the editor.
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no third-party requests from the editor
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILSIMPLETRANSLATION_SYNC_PAGE_TREE = True
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Documents are streamed by Django after the audience check (rxportal/content/wagtail_hooks.py),
# never from a public media URL; and always as attachments, so an upload never renders inline.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_INLINE_CONTENT_TYPES: list[str] = []
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "odt", "pptx", "xlsx", "txt", "rtf", "csv"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 5 * 1024 * 1024
MEDIA_ROOT = Path(env_str("RXPORTAL_MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"  # never routed: documents go through the checked view above

# --- rxportal's own settings.
RXPORTAL_ADMIN_PATH = env_str("RXPORTAL_ADMIN_PATH", "backoffice/")
RXPORTAL_REFERENCE_DATA_DIR = Path(
    env_str("RXPORTAL_REFERENCE_DATA_DIR", str(BASE_DIR / "data" / "reference"))
)
RXPORTAL_CREATE_DEMO_ACCOUNTS = RXPORTAL_ENV == "development"
RXPORTAL_SUPPORT = {
    "member_phone": "1-800-555-0142",
    "pharmacist_phone": "1-800-555-0143",
    "client_phone": "1-800-555-0144",
    "tty": "711",
    "hours": _("24 hours a day, 7 days a week"),
    "client_hours": _("Monday to Friday, 8 a.m. to 8 p.m. Eastern"),
}

# --- django-allauth (sign-in, MFA, sessions). Design: docs/design/signin-allauth-notes.md.
# Sign-in is username first (our IdentifyView), then SiteKey + password (allauth's LoginView with
# our form), then our new-device stage, then allauth's MFA stage; see rxportal/accounts/stages.py.
ACCOUNT_ADAPTER = "rxportal.accounts.adapters.PortalAccountAdapter"
ACCOUNT_FORMS = {
    "login": "rxportal.accounts.forms.signin.SiteKeyLoginForm",
    # Registration: the account step after step 1 (rxportal/accounts/views/registration.py), and the
    # emailed code that confirms the address.
    "signup": "rxportal.accounts.forms.registration.RegistrationSignupForm",
    "confirm_email_verification_code": "rxportal.accounts.forms.registration.RegistrationCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"username"}
# "username*" satisfies allauth's check for username sign-in; RegistrationSignupForm lets it be
# left blank, and then the username is the (normalized) email address.
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_MAX_EMAIL_ADDRESSES = 1
# No "remember me": the session cookie ends with the browser (and the server caps it, above).
ACCOUNT_SESSION_REMEMBER = False
# The whole staged sign-in (password, new-device check, second factor) must end within 15 min.
ACCOUNT_LOGIN_TIMEOUT = 15 * 60
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Never let an emailed code stand in for the second factor (it would turn on the MFA trust stage).
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_BY_CODE_TRUST_ENABLED = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
# Cache-backed sliding windows (Redis in production). Our durable per-username lock-out
# (rxportal.accounts.services.lockout) cuts in first; "20/h/key" only caps what it would allow,
# and the same action also caps MFA code guesses per user.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,20/h/key",
    "rx_identify": "30/m/ip",
    "rx_new_device": "20/m/ip,10/10m/key",
    "rx_new_device_code": "3/10m/key,10/h/ip",
    # Text-message second factor: sending sign-in codes, checking them (each code also allows
    # only 5 guesses), and confirmation texts when adding a phone in My Account.
    "rx_sms_code": "3/10m/key,10/h/ip",
    "rx_sms_verify": "20/m/ip,10/10m/key",
    "rx_sms_enrol": "5/h/key,20/h/ip",
    # Registration step 1: failed eligibility matches only, per address and per member id
    # (a keyed digest); a match is never counted, so families on one connection can register.
    "rx_eligibility": "5/h/ip,20/d/ip,10/d/key",
    # Recovery (rxportal/accounts/services/recovery.py). Asking for (or re-sending) a reset code,
    # keyed by the normalized username or email *and* the client's address group
    # (recovery_limits.request_quota_key): requests from elsewhere never use up the owner's.
    "rx_password_reset": "20/h/ip,5/15m/key",
    # Answering a reset code, question or second factor (each attempt also has its own caps).
    "rx_password_reset_step": "30/10m/ip",
    "rx_forgot_username": "5/h/ip,3/h/key",
}
# Benchmarks and the browser tests' server only: all their load comes from 127.0.0.1, so the
# per-IP and per-name limits would measure the limiter. Off switches every allauth limit;
# refused in production.
if not env_bool("RXPORTAL_RATELIMITS_ENABLED", True):
    if RXPORTAL_ENV == "production":
        raise ValueError("RXPORTAL_RATELIMITS_ENABLED=0 is for benchmarks, never production")
    ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]
MFA_ADAPTER = "rxportal.accounts.adapters.PortalMFAAdapter"
MFA_FORMS = {
    "authenticate": "rxportal.accounts.forms.second_factor.PortalAuthenticateForm",
    "reauthenticate": "rxportal.accounts.forms.second_factor.PortalReauthenticateForm",
    "authenticate_webauthn": "rxportal.accounts.forms.second_factor.PortalAuthenticateWebAuthnForm",
}
# allauth's recovery codes are an encrypted seed, not hashes: ours are in rxportal.accounts.
MFA_SUPPORTED_TYPES = ["totp", "webauthn"]
MFA_TOTP_PERIOD = 30
MFA_TOTP_DIGITS = 6
MFA_TOTP_TOLERANCE = 1  # one step either way; a code is still accepted only once (forms.py)
MFA_TOTP_ISSUER = "rxportal"
MFA_WEBAUTHN_USER_VERIFICATION = "required"
# Never MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN: it switches the origin check off. fido2 accepts
# http://localhost, so develop passkeys on localhost (the RP id below), not 127.0.0.1.
RXPORTAL_WEBAUTHN_RP_ID = env_str("RXPORTAL_WEBAUTHN_RP_ID", "localhost")
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_PASSKEY_SIGNUP_ENABLED = False
# A "trusted browser" would skip the second factor: never (our device cookie skips only the
# new-device check).
MFA_TRUST_ENABLED = False
USERSESSIONS_TRACK_ACTIVITY = True
# Our cookies: __Host- prefixed (Secure, Path=/, no Domain) in production; plain names in
# development, where the site is served over http and browsers refuse __Host- cookies.
_COOKIE_PREFIX = "__Host-" if RXPORTAL_ENV == "production" else ""
RXPORTAL_USERNAME_COOKIE_NAME = env_str(
    "RXPORTAL_USERNAME_COOKIE_NAME", f"{_COOKIE_PREFIX}rx_username"
)
RXPORTAL_USERNAME_COOKIE_AGE = 365 * 24 * 60 * 60
RXPORTAL_DEVICE_COOKIE_NAME = env_str("RXPORTAL_DEVICE_COOKIE_NAME", f"{_COOKIE_PREFIX}rx_device")
RXPORTAL_DEVICE_COOKIE_AGE = 180 * 24 * 60 * 60
# Read your own writes (rxportal.core.db_router): while present, this browser reads the primary.
RXPORTAL_PRIMARY_PIN_COOKIE_NAME = f"{_COOKIE_PREFIX}rx_primary"
# Wrong challenge answers or codes allowed in one new-device check before sign-in starts over.
RXPORTAL_NEW_DEVICE_MAX_ATTEMPTS = 3
# Wrong text-message or recovery codes allowed at the SMS sign-in step before it starts over.
RXPORTAL_SECOND_FACTOR_MAX_ATTEMPTS = 5
# Signed-in sessions (rxportal/accounts/session_timeouts.py): signed out after 15 minutes without
# activity (a warning with "Stay signed in" comes 2 minutes before) and 12 hours after sign-in
# whatever the activity. Activity is written to the session at most once a minute.
RXPORTAL_SESSION_IDLE_SECONDS = env_int("RXPORTAL_SESSION_IDLE_SECONDS", 15 * 60)
RXPORTAL_SESSION_ABSOLUTE_SECONDS = env_int("RXPORTAL_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
RXPORTAL_SESSION_WARNING_SECONDS = env_int("RXPORTAL_SESSION_WARNING_SECONDS", 2 * 60)
RXPORTAL_SESSION_TOUCH_SECONDS = 60
# Forgot password: the whole reset must end within 15 minutes of asking for the code; wrong
# answers to the challenge question and second factor allowed per reset (wrong codes: 5); new
# codes that one reset may ask for. The user is never signed in by a reset.
RXPORTAL_PASSWORD_RESET_TIMEOUT = 15 * 60
RXPORTAL_PASSWORD_RESET_MAX_ATTEMPTS = 3
RXPORTAL_PASSWORD_RESET_MAX_RESENDS = 2
# Forgot password's own limits over a sliding day (rxportal/accounts/services/recovery_limits.py);
# none of them feeds the sign-in lock-out. 6-digit codes checked per name typed (past that, new
# codes are 12 letters and digits, so the owner still gets in); wrong answers and second-factor
# codes per account.
RXPORTAL_PASSWORD_RESET_LIMIT_WINDOW_SECONDS = 24 * 60 * 60
RXPORTAL_PASSWORD_RESET_CODE_CHECKS_PER_NAME = 10
RXPORTAL_PASSWORD_RESET_ANSWER_FAILURES_PER_ACCOUNT = 6

# --- Reverse proxies: how many of ours sit in front of gunicorn (0 = none, trust no header).
# Client addresses feed the audit trail, lock-out and rate limits (rxportal.audit.services).
RXPORTAL_TRUSTED_PROXY_COUNT = env_int("RXPORTAL_TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = RXPORTAL_TRUSTED_PROXY_COUNT

# --- Account security (rxportal/accounts: lock-out, throttles, CAPTCHA, codes, encrypted fields).
# (Imported here to keep this block self-contained.)
from rxportal.settings.env import field_encryption_keys_for  # noqa: E402

# Fernet keys for encrypted columns (SMS phone), current first; older keys only decrypt.
RXPORTAL_FIELD_ENCRYPTION_KEYS = field_encryption_keys_for(RXPORTAL_ENV)
# Dotted path of the SMS gateway class (rxportal.accounts.gateways); "off" switches SMS off.
# Unset: the console gateway in development (it prints messages, codes included, to the log), off
# in production until a real provider is configured.
RXPORTAL_SMS_GATEWAY = env_str("RXPORTAL_SMS_GATEWAY") or (
    "rxportal.accounts.gateways.ConsoleSmsGateway" if RXPORTAL_ENV == "development" else "off"
)
if RXPORTAL_SMS_GATEWAY == "off":
    RXPORTAL_SMS_GATEWAY = ""
# Failed sign-ins counted per client IP (IPv6 grouped by /64) over a sliding window; above the
# limit that address is refused until the count decays.
RXPORTAL_LOGIN_IP_FAILURE_LIMIT = env_int("RXPORTAL_LOGIN_IP_FAILURE_LIMIT", 50)
RXPORTAL_LOGIN_IP_FAILURE_WINDOW_SECONDS = env_int("RXPORTAL_LOGIN_IP_FAILURE_WINDOW_SECONDS", 900)
# Failed sign-ins across the whole site; above the limit everyone gets the CAPTCHA (never a
# hard block, which would lock every member out).
RXPORTAL_LOGIN_GLOBAL_FAILURE_LIMIT = env_int("RXPORTAL_LOGIN_GLOBAL_FAILURE_LIMIT", 500)
RXPORTAL_LOGIN_GLOBAL_FAILURE_WINDOW_SECONDS = env_int(
    "RXPORTAL_LOGIN_GLOBAL_FAILURE_WINDOW_SECONDS", 60
)
# How long an issued CAPTCHA stays answerable.
RXPORTAL_CAPTCHA_MAX_AGE_SECONDS = env_int("RXPORTAL_CAPTCHA_MAX_AGE_SECONDS", 600)


# --- OAuth 2.0 / OpenID Connect for connected apps (rxportal/connected_apps) -------------------
# Authorization codes live 60 s, access tokens an hour; a refresh token is replaced at each use
# (the old one dies, and presenting a replaced one revokes the whole family) and is issued only
# with offline_access (connected_apps.validators). Public clients such as the mobile app must
# send a PKCE S256 challenge. ID tokens are signed with RS256 by RXPORTAL_OIDC_RSA_PRIVATE_KEY
# (generated into var/ in development, required in production).
from rxportal.settings.env import oidc_rsa_private_key_for  # noqa: E402

RXPORTAL_OIDC_RSA_PRIVATE_KEY = oidc_rsa_private_key_for(RXPORTAL_ENV)
# django-oauth-toolkit's own models (named so migrations can point at them: they are swappable).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER: dict[str, Any] = {
    "SCOPES": dict(SCOPE_DESCRIPTIONS),
    "DEFAULT_SCOPES": ["openid"],
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    # A refresh token left unused 90 days (after its access token) is refused: no access forever.
    "REFRESH_TOKEN_EXPIRE_SECONDS": 90 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "PKCE_REQUIRED": True,
    "OAUTH2_VALIDATOR_CLASS": "rxportal.connected_apps.validators.PortalOAuth2Validator",
    # https everywhere; the demo mobile app's own scheme; http only for RFC 8252 loopback
    # redirects (127.0.0.1, [::1], any port), which connected_apps.validators insists on.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http", "rxportal-mobile"],
    # The consent screen is shown every time: an app never asks to skip it.
    "REQUEST_APPROVAL_PROMPT": "force",
    "OIDC_ENABLED": True,
    # The issuer (ID tokens' iss, discovery, the authorization response's iss) is the configured
    # site, never the request's Host header, which a client can forge.
    "OIDC_ISS_ENDPOINT": f"{RXPORTAL_BASE_URL.rstrip('/')}/oauth",
    "OIDC_RSA_PRIVATE_KEY": RXPORTAL_OIDC_RSA_PRIVATE_KEY,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["none", "client_secret_post"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    # RFC 9700: no implicit or password grant, no "plain" PKCE, the issuer in the authorization
    # response, tokens only in the Authorization header, and tokens stored hashed (a database
    # leak gives no usable token).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
}
# DOT warns that http redirect URIs are allowed: they must be, for native apps' loopback
# redirects (RFC 8252), and connected_apps.validators refuses http to any other host.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]

# --- The JSON API (rxportal/api) -----------------------------------------------------------
# Requests a minute per access token (per address without a valid token); over it, a 429.
RXPORTAL_API_RATE_LIMIT_PER_MINUTE = env_int("RXPORTAL_API_RATE_LIMIT_PER_MINUTE", 120)
