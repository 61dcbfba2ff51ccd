"""Production: base settings plus guards. Refuses SQLite, a missing secret or encryption key,
and a public address that is missing or not https."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from rxportal.settings.base import *  # noqa: F403
from rxportal.settings.base import (
    DATABASES,
    REDIS_URL,
    RXPORTAL_FIELD_ENCRYPTION_KEYS,
    RXPORTAL_OIDC_RSA_PRIVATE_KEY,
    RXPORTAL_SMS_GATEWAY,
    SECRET_KEY,
)
from rxportal.settings.env import env_int, env_str

if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set (50+ characters) in production.")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    raise ImproperlyConfigured("Production needs PostgreSQL: set DATABASE_URL=postgres://...")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "Production needs Redis for sessions and rate limits: set REDIS_URL."
    )
# --- Account security guards.
if not RXPORTAL_FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "RXPORTAL_FIELD_ENCRYPTION_KEYS must be set in production (comma-separated Fernet keys, "
        "current first)."
    )
if "PRIVATE KEY" not in RXPORTAL_OIDC_RSA_PRIVATE_KEY:
    raise ImproperlyConfigured(
        "RXPORTAL_OIDC_RSA_PRIVATE_KEY must be set in production (the PEM RSA key that signs "
        "OpenID Connect ID tokens; newlines may be written as \\n)."
    )
if RXPORTAL_SMS_GATEWAY.endswith("ConsoleSmsGateway"):
    raise ImproperlyConfigured(
        "The console SMS gateway logs one-time codes: never use it in production."
    )
# --- The public address. The OpenID issuer (every connected app checks ID tokens' `iss`
# against it), the links in emails (one-click unsubscribe) and FHIR's absolute URLs are built
# from it, never from the request. base.py's default (http://127.0.0.1:8000) is for development:
# production must name it, over https. No exception for loopback: production redirects every
# http request to https and its cookies are Secure, so an http address cannot work even there.
_base_url = urlsplit(env_str("RXPORTAL_BASE_URL", ""))
if _base_url.scheme != "https" or not _base_url.hostname:
    raise ImproperlyConfigured(
        "RXPORTAL_BASE_URL must be set in production to the portal's public https address "
        "(https://portal.example.org): the OpenID issuer and the links in emails use it."
    )
if _base_url.query or _base_url.fragment or _base_url.username or _base_url.password:
    raise ImproperlyConfigured(
        "RXPORTAL_BASE_URL must be a plain https address, without a query, fragment or user."
    )

DEBUG = False
RXPORTAL_ENV = "production"
RXPORTAL_CREATE_DEMO_ACCOUNTS = False
SECURE_SSL_REDIRECT = True
RXPORTAL_METRICS_REQUIRE_TOKEN = True
# Probes and scrapes reach a node directly over http (the container's HEALTHCHECK, a load
# balancer, Prometheus); everything else is sent to https.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("RXPORTAL_HSTS_SECONDS", 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
