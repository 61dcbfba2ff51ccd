"""The audit trail's keys, derived from ``settings.SECRET_KEY`` (the only settings read here).

The chain key is ``HMAC-SHA256(SECRET_KEY, "rxportal.audit.chain.v1")``: a sub-key with its own
label, so it is never the raw secret Django signs cookies with. Events are hashed with the key of
the current ``SECRET_KEY``; verification also accepts keys derived from ``SECRET_KEY_FALLBACKS``
so rotating the secret (old value moved to the fallbacks) does not make old events look forged.
Drop an old secret from the fallbacks only after anchoring the chain head it signed.

A dedicated ``RXPORTAL_AUDIT_HMAC_KEY`` (ideally held in a KMS) can replace the derivation later;
only this module would change.
"""

from __future__ import annotations

from django.conf import settings

from rxportal.audit.domain import (
    PENDING_SEAL_LABEL,
    USERNAME_DIGEST_LABEL,
    derive_chain_key,
    derive_key,
)


def chain_key() -> bytes:
    return derive_chain_key(settings.SECRET_KEY)


def verification_keys() -> list[bytes]:
    """Current key first, then one per ``SECRET_KEY_FALLBACKS`` entry."""
    fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", [])
    return [chain_key(), *(derive_chain_key(secret) for secret in fallbacks)]


def username_digest_key() -> bytes:
    return derive_key(settings.SECRET_KEY, USERNAME_DIGEST_LABEL)


def pending_seal_key() -> bytes:
    return derive_key(settings.SECRET_KEY, PENDING_SEAL_LABEL)


def pending_seal_verification_keys() -> list[bytes]:
    """Current key first, then one per ``SECRET_KEY_FALLBACKS`` entry (a rotation mid-wait)."""
    fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", [])
    return [pending_seal_key(), *(derive_key(secret, PENDING_SEAL_LABEL) for secret in fallbacks)]
