"""Writing to the audit trail: ``record_event`` is the only way a row is added."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, models, transaction
from django.http import HttpRequest

from rxportal.audit import domain, keys
from rxportal.audit.models import AuditEvent
from rxportal.audit.models import Outcome as Outcome  # re-exported: what record_event takes
from rxportal.core import clock

# pg_advisory_xact_lock key that serialises appends to the chain ("rxaudit" in ASCII). Held until
# the surrounding transaction ends, so an event recorded inside a long service transaction holds
# up other appends until that transaction commits: keep audited transactions short.
CHAIN_LOCK_KEY = 0x72786175646974


def record_event(
    *,
    action: str,
    outcome: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    request: HttpRequest | None = None,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    reason: str = "",
    details: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> AuditEvent:
    """Append one event to the chain and return it.

    ``subject`` is a model instance with a ``public_id`` (its label and public id are stored);
    or pass ``subject_type`` / ``subject_id`` yourself. Never pass names, dates of birth or
    other PHI anywhere here. ``details`` goes through ``domain.check_details``, a guard that
    raises ``ValueError`` for secret- or PHI-looking keys (password, code, otp, token, ssn,
    dob…), floats and oversized values. ``request`` supplies the IP address and user agent
    unless they are given explicitly.
    """
    if not domain.is_valid_action(action):
        raise ValueError(f"audit action {action!r} is not a dotted lowercase code")
    if outcome not in Outcome.values:
        raise ValueError(f"audit outcome must be one of {Outcome.values}")
    if len(reason) > domain.REASON_MAX_LENGTH:
        raise ValueError(f"audit reason is longer than {domain.REASON_MAX_LENGTH} characters")
    clean_details = domain.check_details(details or {})
    if subject is not None:
        if subject_type or subject_id:
            raise ValueError("pass subject or subject_type/subject_id, not both")
        subject_type, subject_id = _subject_reference(subject)

    if request is not None:
        ip_address = ip_address or client_ip(request)
        user_agent = user_agent or request.META.get("HTTP_USER_AGENT", "")

    user = actor if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        occurred_at=clock.now(),
        actor=user,  # type: ignore[misc]  # any authenticated user is an AUTH_USER_MODEL row
        actor_username=user.get_username() if user is not None else "",
        actor_role=getattr(user, "role", "") or "",
        action=action,
        outcome=outcome,
        subject_type=subject_type,
        subject_id=subject_id,
        ip_address=domain.normalize_ip(ip_address),
        user_agent=domain.clean_user_agent(user_agent),
        reason=reason,
        details=clean_details,
    )
    with transaction.atomic():
        _lock_chain()
        head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
        if head is None:
            event.sequence, event.prev_hash = 1, domain.GENESIS_HASH
        else:
            event.sequence, event.prev_hash = head[0] + 1, head[1]
        # Field checks only: uniqueness is the constraints' job, and the actor is a saved user.
        event.full_clean(exclude=["actor"], validate_unique=False, validate_constraints=False)
        event.hash = domain.compute_event_hash(
            hashed_fields(event), event.prev_hash, keys.chain_key()
        )
        event.save(force_insert=True)
    return event


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in domain.HASHED_FIELDS}


def username_digest(username: str) -> str:
    """The digest stored for a failed sign-in's attempted username (see ``domain``)."""
    return domain.compute_username_digest(username, keys.username_digest_key())


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind N trusted reverse proxies the N-th
    X-Forwarded-For entry from the right (the one our own nearest proxy appended).

    Anything further left in X-Forwarded-For was written by the client and is never trusted.
    Without ``RXPORTAL_TRUSTED_PROXY_COUNT`` no header is trusted; set it when deploying behind
    proxies, or every visitor shares the proxy's address (and its lock-out counters).
    """
    proxies = settings.RXPORTAL_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return domain.normalize_ip(forwarded[-proxies])
    return domain.normalize_ip(request.META.get("REMOTE_ADDR"))


def _subject_reference(subject: models.Model) -> tuple[str, str]:
    public_id = getattr(subject, "public_id", None)
    if public_id is None:
        raise ValueError("audit subjects are referenced by public_id; this model has none")
    return subject._meta.label_lower, str(public_id)


def _lock_chain() -> None:
    """Serialise appends so two events never read the same head.

    PostgreSQL: a transaction-level advisory lock. SQLite: the project opens transactions with
    BEGIN IMMEDIATE (``transaction_mode``), so writers are already serialised. Either way the
    unique constraints on ``sequence`` and ``prev_hash`` turn any race into an error, never a fork.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
