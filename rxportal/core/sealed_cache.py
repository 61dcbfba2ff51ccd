"""Cache entries holding PHI: encrypted and authenticated (Fernet), with a short life.

The value is pickled, then sealed with a key from ``RXPORTAL_CACHE_KEY`` (a Fernet key) or, when
that is empty, derived from ``SECRET_KEY``. Whoever reads the cache (Redis, its backups, a
``MONITOR``) sees ciphertext; an entry that fails to open (another key, tampered, older than its
time to live) is a miss, so rotating either key only empties the cache.
"""

from __future__ import annotations

import base64
import functools
import pickle
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac


@functools.cache
def _fernet(configured_key: str, secret_key: str) -> Fernet:
    if configured_key:
        return Fernet(configured_key.encode())
    derived = salted_hmac(
        "rxportal.core.sealed_cache", "fernet-key", secret=secret_key, algorithm="sha256"
    ).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def _current_fernet() -> Fernet:
    return _fernet(settings.RXPORTAL_CACHE_KEY, settings.SECRET_KEY)


def seal(value: object) -> bytes:
    return _current_fernet().encrypt(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def unseal(token: object, *, seconds: int) -> Any | None:
    """What ``seal`` sealed, or None when ``token`` is not one, was sealed under another key,
    was changed, or is older than ``seconds``."""
    if not isinstance(token, bytes):
        return None
    try:
        plain = _current_fernet().decrypt(token, ttl=seconds)
    except InvalidToken:
        return None
    # Only this module's own sealed (authenticated) bytes reach pickle.
    return pickle.loads(plain)  # noqa: S301


def put_sealed(key: str, value: object, *, seconds: int) -> None:
    cache.set(key, seal(value), timeout=seconds)


def get_sealed(key: str, *, seconds: int) -> Any | None:
    """The value stored under ``key``, or None when absent, unreadable or too old."""
    return unseal(cache.get(key), seconds=seconds)
