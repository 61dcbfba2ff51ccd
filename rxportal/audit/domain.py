"""The audit trail's pure rules: action codes, the details guard, and the hash chain.

No ORM, request or settings here (only Django's pure IPv6 helper); keys and clocks are passed in.

Hash design
-----------
Each event's ``hash`` is ``HMAC-SHA256(key, canonical_event_payload(fields, prev_hash))`` and
its ``prev_hash`` is the previous event's ``hash`` (``GENESIS_HASH`` for the first). A plain
SHA-256 chain only detects *careless* edits: anyone who can write to the table can rewrite one row
and recompute every later hash. With a keyed HMAC, forging the chain also needs the key, which
lives with the application (derived from ``SECRET_KEY`` under a domain-separation label, see
``derive_chain_key``), not in the database. What the chain cannot show on its own is the removal
of the *newest* events; ``verify_chain`` reports the head (sequence and hash) so operators can
anchor it outside the database.

The payload is canonical JSON (sorted keys, no whitespace, UTF-8, no NaN) of ``HASHED_FIELDS``
plus a format version, so the same event hashes the same on SQLite and PostgreSQL. Floats are
refused in details because their text form does not survive a round trip through ``jsonb``
unchanged (``1e+20`` comes back as ``100000000000000000000``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.ipv6 import clean_ipv6_address

PAYLOAD_VERSION = 1
GENESIS_HASH = "0" * 64
CHAIN_KEY_LABEL = b"rxportal.audit.chain.v1"
USERNAME_DIGEST_LABEL = b"rxportal.audit.username-digest.v1"
PENDING_SEAL_LABEL = b"rxportal.audit.pending-seal.v1"
# Chained by the sealer when a pending event fails its check (``services.seal_pending_events``).
AUDIT_PENDING_TAMPERED = "audit.pending.tampered"
AUDIT_PENDING_MISSING = "audit.pending.missing"

# Well-known action codes (dotted: namespace.object.verb). Others may be added freely.
AUTH_LOGIN_SUCCEEDED = "auth.login.succeeded"
AUTH_LOGIN_FAILED = "auth.login.failed"
AUTH_LOGOUT = "auth.logout"
AUDIT_SEARCHED = "audit.searched"

# First segments offered by the back office's "action" filter; the list is a convenience, not a
# whitelist: any well-formed code can be recorded.
ACTION_NAMESPACES = ("auth", "staff", "phi", "audit")

ACTION_MAX_LENGTH = 100
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

# Fields covered by the hash, in the order they are documented (the JSON itself is key-sorted).
HASHED_FIELDS = (
    "public_id",
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "outcome",
    "subject_type",
    "subject_id",
    "ip_address",
    "user_agent",
    "reason",
    "details",
)

# --- The details guard -----------------------------------------------------------------------
# A guard, not a proof: it stops the obvious mistakes (a password, an MFA code or a birth date
# passed as metadata) by refusing keys whose words look secret or PHI-like. It cannot recognise
# PHI hidden under an innocent key, so callers still pass only ids, codes and counts.
FORBIDDEN_KEY_WORDS = frozenset(
    {
        # secrets and credentials
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "otp",
        "totp",
        "code",
        "pin",
        "answer",
        "credential",
        "credentials",
        "cookie",
        "session",
        "key",
        "apikey",
        "authorization",
        # PHI / identifiers
        "ssn",
        "dob",
        "birth",
        "birthdate",
        "birthday",
        "name",
        "firstname",
        "lastname",
        "address",
        "street",
        "phone",
        "email",
        "mrn",
        "diagnosis",
        "drug",
        "medication",
        "ndc",
    }
)
# Compound keys that contain a forbidden word but are known to be harmless metadata.
ALLOWED_DETAIL_KEYS = frozenset({"error_code", "status_code", "username_digest"})
DETAILS_MAX_BYTES = 2048
DETAIL_STRING_MAX_LENGTH = 200
REASON_MAX_LENGTH = 1000
USER_AGENT_MAX_LENGTH = 300

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT_RE = re.compile(r"[^a-z0-9]+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def is_valid_action(action: str) -> bool:
    return len(action) <= ACTION_MAX_LENGTH and bool(_ACTION_RE.match(action))


def key_words(key: str) -> list[str]:
    """``"dateOfBirth"`` / ``"date-of-birth"`` → ``["date", "of", "birth"]``."""
    return [word for word in _WORD_SPLIT_RE.split(_CAMEL_RE.sub("_", key).lower()) if word]


def is_forbidden_detail_key(key: str) -> bool:
    normalized = "_".join(key_words(key))
    if normalized in ALLOWED_DETAIL_KEYS:
        return False
    words = key_words(key)
    # "first_name" → also check the run-together form "firstname".
    return any(w in FORBIDDEN_KEY_WORDS for w in words) or "".join(words) in FORBIDDEN_KEY_WORDS


def check_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Return a plain-JSON copy of ``details`` or raise ``ValueError`` naming the offending key.

    Allowed values: str (≤ 200 chars), int, bool, None, and lists or dicts of those. The
    error message names the key, never the value (which might be the very secret refused).
    """
    if not isinstance(details, Mapping):
        raise ValueError("audit details must be a mapping")
    cleaned = _check_value(details, path="details")
    size = len(_dumps(cleaned).encode("utf-8"))
    if size > DETAILS_MAX_BYTES:
        raise ValueError(f"audit details are {size} bytes; the limit is {DETAILS_MAX_BYTES}")
    return cleaned


def _check_value(value: Any, *, path: str) -> Any:
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"audit detail keys must be strings ({path})")
            if is_forbidden_detail_key(key):
                raise ValueError(
                    f"audit detail key {path}.{key} looks like a secret or PHI; "
                    "record ids, codes and counts only"
                )
            result[key] = _check_value(item, path=f"{path}.{key}")
        return result
    if isinstance(value, list | tuple):
        return [_check_value(item, path=f"{path}[]") for item in value]
    if isinstance(value, float):
        raise ValueError(f"audit detail {path} is a float; use an int or a string")
    if isinstance(value, str):
        if len(value) > DETAIL_STRING_MAX_LENGTH:
            raise ValueError(
                f"audit detail {path} is longer than {DETAIL_STRING_MAX_LENGTH} characters"
            )
        if "\x00" in value:
            raise ValueError(f"audit detail {path} contains a NUL character")
        return value
    if value is None or isinstance(value, bool | int):
        return value
    raise ValueError(f"audit detail {path} has unsupported type {type(value).__name__}")


def clean_user_agent(user_agent: str) -> str:
    """Control characters removed, cut to the column's 300 characters."""
    return _CONTROL_RE.sub("", user_agent)[:USER_AGENT_MAX_LENGTH]


def normalize_ip(value: str | None) -> str | None:
    """A canonical address string, or None if ``value`` is not an IP address.

    IPv6 goes through Django's ``clean_ipv6_address`` (lower case, IPv4-mapped as
    ``::ffff:1.2.3.4``, zone id dropped), which is also what PostgreSQL's ``inet`` gives back, so
    the hashed value equals the stored one on both databases.
    """
    if not value:
        return None
    value = value.strip()
    try:
        address = ipaddress.ip_address(value)
        return str(address) if address.version == 4 else clean_ipv6_address(value)
    except (ValueError, ValidationError):
        return None


# --- Keys and the chain ------------------------------------------------------------------------


def derive_key(secret: str | bytes, label: bytes) -> bytes:
    """A sub-key for one purpose: ``HMAC-SHA256(secret, label)``.

    Domain separation means the audit key is useless for Django's signing and vice versa.
    """
    secret_bytes = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(secret_bytes, label, hashlib.sha256).digest()


def derive_chain_key(secret: str | bytes) -> bytes:
    return derive_key(secret, CHAIN_KEY_LABEL)


def compute_username_digest(username: str, key: bytes) -> str:
    """A keyed digest of an attempted sign-in name (stripped, case-folded).

    Failed sign-ins are recorded with this instead of the typed text, which is sometimes a
    password entered into the wrong box. The same name always gives the same digest, so staff
    can still find repeated attempts against one account.
    """
    normalized = username.strip().casefold().encode("utf-8")
    return hmac.new(key, normalized, hashlib.sha256).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _canonical_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("occurred_at must be timezone-aware")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_event_payload(fields: Mapping[str, Any], prev_hash: str) -> bytes:
    """The exact bytes that are hashed for one event.

    ``fields`` holds every name in ``HASHED_FIELDS`` (extra keys are ignored, a missing one is a
    ``KeyError``). Values are normalised so a row read back from either database gives the same
    bytes: UUIDs and datetimes (UTC, microseconds) as strings, empty strings for blank text.
    """
    payload: dict[str, Any] = {"v": PAYLOAD_VERSION, "prev_hash": prev_hash}
    for name in HASHED_FIELDS:
        value = fields[name]
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, dt.datetime):
            value = _canonical_datetime(value)
        payload[name] = value
    payload["details"] = payload["details"] or {}
    return _dumps(payload).encode("utf-8")


def compute_event_hash(fields: Mapping[str, Any], prev_hash: str, key: bytes) -> str:
    """HMAC-SHA256 (hex) of the canonical payload, keyed by the chain key."""
    return hmac.new(key, canonical_event_payload(fields, prev_hash), hashlib.sha256).hexdigest()


def is_event_hash_valid(
    fields: Mapping[str, Any], prev_hash: str, stored_hash: str, keys: list[bytes]
) -> bool:
    """True when any of ``keys`` (current first, then fallbacks) reproduces ``stored_hash``."""
    payload = canonical_event_payload(fields, prev_hash)
    return any(
        hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).hexdigest(), stored_hash)
        for key in keys
    )


# --- Pending events (deferred append) -----------------------------------------------------------

# Stands in for the previous hash in a pending row's seal: it is not in the chain yet.
_PENDING_LINK = "pending"


def compute_pending_seal(fields: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 (hex) of a pending event's fields (every hashed field but the sequence, which
    sealing assigns), with a key of its own: the request computes it before its one INSERT, the
    sealer checks it, so a row changed or forged in the database while it waits is caught."""
    payload = canonical_event_payload({**fields, "sequence": 0}, _PENDING_LINK)
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def is_pending_seal_valid(fields: Mapping[str, Any], seal: str, keys: list[bytes]) -> bool:
    return bool(seal) and any(
        hmac.compare_digest(compute_pending_seal(fields, key), seal) for key in keys
    )
