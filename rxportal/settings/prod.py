"""Production: base settings plus guards. Refuses SQLite and a missing secret."""

from django.core.exceptions import ImproperlyConfigured

from rxportal.settings.base import *  # noqa: F403
from rxportal.settings.base import DATABASES, REDIS_URL, SECRET_KEY
from rxportal.settings.env import env_int

if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set (50+ characters) in production.")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    raise ImproperlyConfigured("Production needs PostgreSQL: set DATABASE_URL=postgres://...")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "Production needs Redis for sessions and rate limits: set REDIS_URL."
    )

DEBUG = False
RXPORTAL_ENV = "production"
RXPORTAL_CREATE_DEMO_ACCOUNTS = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("RXPORTAL_HSTS_SECONDS", 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
