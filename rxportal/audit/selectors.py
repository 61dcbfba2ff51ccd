"""Reading the audit trail: chain verification and the staff search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from rxportal.audit import domain, keys
from rxportal.audit.errors import AuditForbidden
from rxportal.audit.models import AuditEvent


@dataclass(frozen=True)
class ChainVerification:
    """The result of walking the chain from the first event to the newest.

    ``last_sequence`` / ``head_hash`` describe the newest event checked: record them somewhere
    outside the database (a ticket, a log shipper) to detect later removal of the newest events,
    which a hash chain cannot show by itself.
    """

    ok: bool
    events_checked: int
    first_bad_sequence: int | None = None
    problem: str = ""
    last_sequence: int = 0
    head_hash: str = domain.GENESIS_HASH


_VERIFY_FIELDS = ("sequence", "prev_hash", "hash", *domain.HASHED_FIELDS)


def verify_chain(*, batch_size: int = 5000) -> ChainVerification:
    """Walk every event in sequence order and check numbering, links and HMACs.

    Streams with ``iterator(chunk_size=batch_size)`` so memory stays flat on large tables.
    Stops at the first problem: a gap or restart in the numbering, a ``prev_hash`` that is not
    the previous event's ``hash``, or a ``hash`` no current or fallback key reproduces.
    """
    verification_keys = keys.verification_keys()
    expected_sequence = 1
    expected_prev = domain.GENESIS_HASH
    checked = 0
    rows = (
        AuditEvent.objects.order_by("sequence")
        .values(*_VERIFY_FIELDS)
        .iterator(chunk_size=batch_size)
    )
    for row in rows:
        sequence = row["sequence"]
        problem = ""
        if sequence != expected_sequence:
            problem = f"expected sequence {expected_sequence}, found {sequence}"
        elif row["prev_hash"] != expected_prev:
            problem = "prev_hash does not match the previous event's hash"
        elif not domain.is_event_hash_valid(
            _hashed(row), row["prev_hash"], row["hash"], verification_keys
        ):
            problem = "hash does not match the event's contents"
        if problem:
            return ChainVerification(
                ok=False,
                events_checked=checked,
                first_bad_sequence=sequence,
                problem=problem,
                last_sequence=expected_sequence - 1,
                head_hash=expected_prev,
            )
        checked += 1
        expected_sequence = sequence + 1
        expected_prev = row["hash"]
    return ChainVerification(
        ok=True,
        events_checked=checked,
        last_sequence=expected_sequence - 1,
        head_hash=expected_prev,
    )


def _hashed(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in domain.HASHED_FIELDS}


def can_view_audit_trail(viewer: AbstractBaseUser | AnonymousUser) -> bool:
    """PBM staff (account team, service center, admin) and superusers, when active."""
    if not (viewer.is_authenticated and viewer.is_active):
        return False
    return bool(getattr(viewer, "is_superuser", False) or getattr(viewer, "is_pbm_staff", False))


def search_events(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    actor_username: str | None = None,
    action_prefix: str | None = None,
    outcome: str | None = None,
    subject_id: str | None = None,
    ip_address: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    attempted_username: str | None = None,
) -> QuerySet[AuditEvent]:
    """Events matching every filter given, newest first. Only for PBM staff and superusers.

    ``action_prefix`` matches whole segments ("auth" finds "auth.login.failed", not
    "authz.x"); ``since`` is inclusive and ``until`` exclusive; ``attempted_username`` finds
    failed sign-ins by the digest of the typed name.
    """
    if not can_view_audit_trail(viewer):
        raise AuditForbidden("Only PBM staff may search the audit trail.")
    events = AuditEvent.objects.all()
    if actor_username:
        events = events.filter(actor_username__iexact=actor_username)
    if action_prefix:
        prefix = action_prefix.rstrip(".")
        events = events.filter(Q(action=prefix) | Q(action__startswith=f"{prefix}."))
    if outcome:
        events = events.filter(outcome=outcome)
    if subject_id:
        events = events.filter(subject_id=subject_id)
    if ip_address:
        events = events.filter(ip_address=domain.normalize_ip(ip_address) or ip_address)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    if attempted_username:
        digest = domain.compute_username_digest(attempted_username, keys.username_digest_key())
        events = events.filter(details__username_digest=digest)
    return events.order_by("-sequence")
