"""Settings shared by every environment, all driven by the environment (secure defaults)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

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
    "rxportal.web",
    "rxportal.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
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
if not _is_postgres:
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache, sessions, Celery: Redis when REDIS_URL is set, in-process otherwise.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("RXPORTAL_CACHE_PREFIX", "rxportal"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "UTC"

# --- Passwords: Argon2id first (parameters in rxportal/accounts/hashers.py).
PASSWORD_HASHERS = [
    "rxportal.accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:home"

# --- Sessions and cookies.
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute cap; idle time-out arrives with the sign-in issue
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

# --- Static files: served locally (WhiteNoise), never from a CDN.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Logging: structured enough, and never PHI, passwords or codes.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("RXPORTAL_LOG_LEVEL", "INFO")},
}

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
