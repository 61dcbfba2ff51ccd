"""Field encryption and keyed digests for account-security data.

Encryption (reversible, for values we must read back, such as the SMS phone number)
    Fernet (AES-128-CBC + HMAC-SHA256, authenticated) through ``MultiFernet`` with the keys in
    ``settings.RXPORTAL_FIELD_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts. To
    rotate, put a new key first, run ``reencrypt_text`` over the stored values, then drop the old
    key. Losing every key loses the data; keep them in the secret store, not in the database
    backup.

Keyed digests (one-way, for values we only compare: usernames, one-time codes, recovery codes)
    ``HMAC-SHA256(sub_key(purpose), value)`` in hex. The sub-key is
    ``HMAC-SHA256(SECRET_KEY, "rxportal.accounts.digest.v1:" + purpose)``, so a digest made for one
    purpose never matches another and none of them is Django's raw signing key. A database dump
    alone cannot be brute-forced without SECRET_KEY. Rotating SECRET_KEY changes every digest:
    ``keyed_digest_candidates`` also tries ``SECRET_KEY_FALLBACKS`` for long-lived digests
    (recovery codes); short-lived ones (lock-out rows, 10-minute codes) simply start afresh.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DIGEST_LABEL_PREFIX = b"rxportal.accounts.digest.v1:"


class DecryptionError(ValueError):
    """A ciphertext was tampered with, truncated, or made with a key we no longer hold.

    Not a DomainError: it means misconfiguration or tampering, a 500 for the error tracker.
    """


@functools.lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("RXPORTAL_FIELD_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def _fernet() -> MultiFernet:
    return _multi_fernet(tuple(settings.RXPORTAL_FIELD_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    """The Fernet token (ASCII) for ``value``, made with the current key."""
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    """The clear text of a token made by ``encrypt_text`` with any configured key."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError(
            "encrypted field cannot be decrypted with the configured keys"
        ) from exc


def reencrypt_text(token: str) -> str:
    """The same clear text under the current key (for key rotation)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError(
            "encrypted field cannot be decrypted with the configured keys"
        ) from exc


def _digest_key(secret: str | bytes, purpose: str) -> bytes:
    secret_bytes = secret.encode("utf-8") if isinstance(secret, str) else secret
    label = DIGEST_LABEL_PREFIX + purpose.encode("utf-8")
    return hmac.new(secret_bytes, label, hashlib.sha256).digest()


def _digest(secret: str | bytes, purpose: str, value: str) -> str:
    return hmac.new(_digest_key(secret, purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()


def keyed_digest(purpose: str, value: str) -> str:
    """HMAC-SHA256 hex digest of ``value`` under the sub-key for ``purpose`` (64 characters)."""
    if not purpose:
        raise ValueError("keyed_digest needs a purpose label")
    return _digest(settings.SECRET_KEY, purpose, value)


def keyed_digest_candidates(purpose: str, value: str) -> list[str]:
    """The digest under the current SECRET_KEY first, then under each of its fallbacks."""
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_digest(secret, purpose, value) for secret in secrets_]
