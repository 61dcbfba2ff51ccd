"""Production settings refuse unsafe configuration; the embedded default needs nothing."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = secrets.token_urlsafe(60)
GOOD_BASE_URL = "https://portal.example.org"
GOOD_FIELD_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
# A PEM key on one line, as an environment variable often has to hold it.
GOOD_OIDC_KEY = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    .decode("ascii")
    .replace("\n", "\\n")
)


def _django_check(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RXPORTAL_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_sqlite() -> None:
    result = _django_check(
        {
            "RXPORTAL_ENV": "production",
            "DJANGO_SECRET_KEY": GOOD_SECRET,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert result.returncode != 0
    assert "Production needs PostgreSQL" in result.stderr


def test_production_refuses_missing_secret() -> None:
    result = _django_check(
        {
            "RXPORTAL_ENV": "production",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_passes_deploy_check() -> None:
    result = _django_check(
        {
            "RXPORTAL_ENV": "production",
            "DJANGO_SECRET_KEY": GOOD_SECRET,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DJANGO_ALLOWED_HOSTS": "portal.example.org",
            "RXPORTAL_FIELD_ENCRYPTION_KEYS": GOOD_FIELD_KEY,
            "RXPORTAL_OIDC_RSA_PRIVATE_KEY": GOOD_OIDC_KEY,
            "RXPORTAL_BASE_URL": GOOD_BASE_URL,
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_missing_field_encryption_keys() -> None:
    result = _django_check(
        {
            "RXPORTAL_ENV": "production",
            "DJANGO_SECRET_KEY": GOOD_SECRET,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert result.returncode != 0
    assert "RXPORTAL_FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def test_malformed_field_encryption_key_is_rejected() -> None:
    result = _django_check({"RXPORTAL_FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"})
    assert result.returncode != 0
    assert "not a Fernet key" in result.stderr


def test_production_refuses_the_console_sms_gateway() -> None:
    result = _django_check(
        {
            "RXPORTAL_ENV": "production",
            "DJANGO_SECRET_KEY": GOOD_SECRET,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "RXPORTAL_FIELD_ENCRYPTION_KEYS": GOOD_FIELD_KEY,
            "RXPORTAL_OIDC_RSA_PRIVATE_KEY": GOOD_OIDC_KEY,
            "RXPORTAL_SMS_GATEWAY": "rxportal.accounts.gateways.ConsoleSmsGateway",
        }
    )
    assert result.returncode != 0
    assert "console SMS gateway" in result.stderr


def test_invalid_environment_name_is_rejected() -> None:
    result = _django_check({"RXPORTAL_ENV": "staging"})
    assert result.returncode != 0
    assert "RXPORTAL_ENV must be" in result.stderr


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        # django-prometheus's subclasses of Django's backends (they count queries for /metrics).
        ("postgres://postgres@127.0.0.1:5432/test", "django_prometheus.db.backends.postgresql"),
        ("sqlite:////tmp/x.sqlite3", "django_prometheus.db.backends.sqlite3"),
    ],
)
def test_database_url_selects_engine_and_persistent_connections(url: str, engine: str) -> None:
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RXPORTAL_"))}
    env.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "rxportal.settings.dev"})
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    got_engine, max_age, health = result.stdout.split()
    assert got_engine == engine
    if engine.endswith("postgresql"):
        assert int(max_age) > 0 and health == "True"
    else:
        assert int(max_age) == 0


def test_production_refuses_a_missing_oidc_signing_key() -> None:
    result = _django_check(
        {
            "RXPORTAL_ENV": "production",
            "DJANGO_SECRET_KEY": GOOD_SECRET,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "RXPORTAL_FIELD_ENCRYPTION_KEYS": GOOD_FIELD_KEY,
        }
    )
    assert result.returncode != 0
    assert "RXPORTAL_OIDC_RSA_PRIVATE_KEY must be set" in result.stderr


def _load_production_settings(base_url: str | None, code: str) -> subprocess.CompletedProcess[str]:
    """Imports rxportal.settings.prod with every other requirement met, then runs ``code``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RXPORTAL_"))}
    env.update(
        RXPORTAL_ENV="production",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        REDIS_URL="redis://127.0.0.1:6379/0",
        RXPORTAL_FIELD_ENCRYPTION_KEYS=GOOD_FIELD_KEY,
        RXPORTAL_OIDC_RSA_PRIVATE_KEY=GOOD_OIDC_KEY,
    )
    if base_url is not None:
        env["RXPORTAL_BASE_URL"] = base_url
    return subprocess.run(
        [sys.executable, "-c", f"import rxportal.settings.prod as s; {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "base_url",
    [
        None,  # unset: base.py's development default (http://127.0.0.1:8000) would be used
        "",
        "http://portal.example.org",
        "http://127.0.0.1:8000",  # loopback too: production redirects http to https
        "portal.example.org",
        "https://",
        "https://portal.example.org/?next=/claims/",
    ],
)
def test_production_refuses_a_base_url_that_is_missing_or_not_https(base_url: str | None) -> None:
    result = _load_production_settings(base_url, "print(s.RXPORTAL_BASE_URL)")

    assert result.returncode != 0
    assert "RXPORTAL_BASE_URL must be" in result.stderr


def test_production_takes_an_https_base_url_for_the_issuer() -> None:
    result = _load_production_settings(
        GOOD_BASE_URL, "print(s.OAUTH2_PROVIDER['OIDC_ISS_ENDPOINT'])"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"{GOOD_BASE_URL}/oauth"
