"""Typed readers for the environment: the only module that looks at os.environ.

Everything else reads django.conf.settings.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


def _read_dot_env() -> None:
    """Load `.env` into the environment, only when DJANGO_READ_DOT_ENV=1 asks for it."""
    if os.environ.get("DJANGO_READ_DOT_ENV") != "1":
        return
    path = BASE_DIR / ".env"
    if not path.exists():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_read_dot_env()


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def secret_key_for(environment: str) -> str:
    """SECRET_KEY from the environment; in development, one generated once into var/."""
    value = os.environ.get("DJANGO_SECRET_KEY") or os.environ.get("SECRET_KEY")
    if value:
        return value
    if environment == "production":
        return ""  # prod.py refuses to start without one
    VAR_DIR.mkdir(exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


def _is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32
    except (ValueError, UnicodeEncodeError):
        return False


def field_encryption_keys_for(environment: str) -> list[str]:
    """Fernet keys for encrypted fields, current first (``RXPORTAL_FIELD_ENCRYPTION_KEYS``).

    Comma-separated; to rotate, put a new key first and keep the old ones after it until every
    value has been re-encrypted. In development a key is generated once into var/; production
    gets an empty list and prod.py refuses to start.
    """
    keys = env_list("RXPORTAL_FIELD_ENCRYPTION_KEYS", [])
    for key in keys:
        if not _is_fernet_key(key):
            raise ValueError(
                "RXPORTAL_FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
                "(url-safe base64 of 32 bytes)"
            )
    if keys or environment == "production":
        return keys
    VAR_DIR.mkdir(exist_ok=True)
    key_file = VAR_DIR / "field_encryption_key"
    if not key_file.exists():
        # Written aside and hard-linked into place, so parallel processes (pytest -n) never read
        # a half-written file and all end up with the same key.
        tmp = VAR_DIR / f".field_encryption_key.{os.getpid()}.{secrets.token_hex(4)}"
        tmp.write_text(
            base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii"), encoding="utf-8"
        )
        tmp.chmod(0o600)
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return [key_file.read_text(encoding="utf-8").strip()]


def oidc_rsa_private_key_for(environment: str) -> str:
    """The PEM RSA key that signs OpenID Connect ID tokens (``RXPORTAL_OIDC_RSA_PRIVATE_KEY``).

    In development one is generated once into var/ (as the field encryption key is); production
    gets an empty string and prod.py refuses to start.
    """
    value = os.environ.get("RXPORTAL_OIDC_RSA_PRIVATE_KEY", "").strip()
    if value or environment == "production":
        # An environment variable cannot hold newlines everywhere: accept "\n" escapes.
        return value.replace("\\n", "\n")
    VAR_DIR.mkdir(exist_ok=True)
    key_file = VAR_DIR / "oidc_rsa_private_key.pem"
    if not key_file.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        pem = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode("ascii")
        )
        # Written aside and hard-linked into place: parallel processes all end up with one key.
        tmp = VAR_DIR / f".oidc_rsa_private_key.{os.getpid()}.{secrets.token_hex(4)}"
        tmp.write_text(pem, encoding="utf-8")
        tmp.chmod(0o600)
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return key_file.read_text(encoding="utf-8")
