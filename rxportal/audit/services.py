"""Writing to the audit trail: ``record_event`` is the only way an event is recorded.

Two ways to append, chosen by ``RXPORTAL_AUDIT_APPEND``:

- ``inline``: the event is chained in the caller's transaction (a chain lock, a read of the head,
  an insert). The embedded default and the tests, where no beat runs.
- ``deferred``: the caller pays one INSERT into ``PendingAuditEvent``; the beat job
  ``audit.seal_pending_events`` chains pending rows a few seconds later, oldest first. The event
  still commits or rolls back with the caller's transaction, so nothing is lost if a process
  dies, and the chain is built in one place that holds its lock for a batch, not per request.
  An event that is its transaction's only write commits without waiting for the disk
  (``_alone_without_waiting_for_the_disk``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, models, transaction
from django.db.models import Count, Min
from django.http import HttpRequest

from rxportal.audit import domain, keys, witness
from rxportal.audit.models import AuditEvent, PendingAuditEvent
from rxportal.audit.models import Outcome as Outcome  # re-exported: what record_event takes
from rxportal.core import clock

# pg_advisory_xact_lock key that serialises appends to the chain ("rxaudit" in ASCII). Held until
# the surrounding transaction ends, so an event recorded inside a long service transaction holds
# up other appends until that transaction commits: keep audited transactions short.
CHAIN_LOCK_KEY = 0x72786175646974

logger = logging.getLogger(__name__)


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
        public_id=uuid.uuid4(),
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
    # Field checks only: uniqueness is the constraints' job, and the actor is a saved user.
    event.full_clean(
        exclude=["actor", "sequence", "prev_hash", "hash"],
        validate_unique=False,
        validate_constraints=False,
    )
    if settings.RXPORTAL_AUDIT_APPEND == "deferred":
        fields = {name: getattr(event, name) for name in PENDING_FIELDS}
        seal = domain.compute_pending_seal(
            {**fields, "actor_id": user.pk if user else None}, keys.pending_seal_key()
        )
        with _alone_without_waiting_for_the_disk():
            PendingAuditEvent.objects.create(  # type: ignore[misc]  # an AUTH_USER_MODEL row
                **fields, actor=user, seal=seal
            )
            # Outside the database, once the row is committed (never for a rolled-back one).
            public_id = str(event.public_id)
            transaction.on_commit(lambda: witness.record(public_id, action))
        return event  # chained later: its sequence and hash are not known yet
    with transaction.atomic():
        _lock_chain()
        _chain([event])
        event.save(force_insert=True)
    return event


@contextlib.contextmanager
def _alone_without_waiting_for_the_disk() -> Iterator[None]:
    """An event that is its transaction's only write (a page view's PHI read, outside any
    atomic block) commits without waiting for PostgreSQL's WAL flush to disk, which cost 1-3 ms
    on this machine, more than the rest of a cached page (RXPORTAL_AUDIT_ASYNC_COMMIT).

    The commit is still in PostgreSQL before the page is sent: a web process that dies loses
    nothing. Only a crash of the database server itself within about 0.6 s (three WAL-writer
    rounds) could lose such rows. An event written with a change, inside the change's
    transaction, keeps the synchronous commit: the change and its record are never weakened.
    """
    if (
        not settings.RXPORTAL_AUDIT_ASYNC_COMMIT
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
    ):
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO off")
        yield


# What a pending row carries: every hashed field but the sequence, which sealing assigns.
PENDING_FIELDS = tuple(
    name for name in domain.HASHED_FIELDS if name not in ("sequence", "actor_id")
)
SEAL_BATCH_SIZE = 500


def seal_pending_events(*, batch_size: int = SEAL_BATCH_SIZE) -> int:
    """Chain every pending event, oldest first, and return how many were sealed.

    Each batch moves its rows (insert into ``AuditEvent``, delete from ``PendingAuditEvent``) in
    one transaction under the chain lock: a sealer killed mid-batch rolls back and leaves the rows
    pending, and two sealers never chain the same row twice. Safe to run at any time.

    A row whose seal does not match its fields (changed or forged in the database) is chained as
    it stands, followed by an ``audit.pending.tampered`` event; an event witnessed at commit whose
    row is gone is chained as ``audit.pending.missing``. Both are logged at error and counted on
    ``/metrics`` (``rxportal_audit_pending_integrity_failures``).
    """
    sealed = 0
    while True:
        with transaction.atomic():
            _lock_chain()
            pending = list(PendingAuditEvent.objects.order_by("id")[:batch_size])
            if not pending:
                break
            events: list[AuditEvent] = []
            seal_keys = keys.pending_seal_verification_keys()
            for row in pending:
                event = AuditEvent(
                    **{name: getattr(row, name) for name in PENDING_FIELDS},
                    actor_id=row.actor_id,
                )
                events.append(event)
                if not domain.is_pending_seal_valid(
                    hashed_fields_of_pending(row), row.seal, seal_keys
                ):
                    events.append(
                        _integrity_alert(domain.AUDIT_PENDING_TAMPERED, row.public_id, row.action)
                    )
            _chain(events)
            AuditEvent.objects.bulk_create(events)
            PendingAuditEvent.objects.filter(id__in=[row.id for row in pending]).delete()
        witness.forget([(str(row.public_id), row.action) for row in pending])
        sealed += len(pending)
        if len(pending) < batch_size:
            break
    _chain_missing_events()
    return sealed


def hashed_fields_of_pending(row: PendingAuditEvent) -> dict[str, Any]:
    return {**{name: getattr(row, name) for name in PENDING_FIELDS}, "actor_id": row.actor_id}


def _integrity_alert(action: str, public_id: uuid.UUID | str, recorded_action: str) -> AuditEvent:
    """An event the sealer chains about a pending event that failed its check (error log too)."""
    logger.error(action, extra={"event_public_id": str(public_id), "event_action": recorded_action})
    return AuditEvent(
        public_id=uuid.uuid4(),
        occurred_at=clock.now(),
        action=action,
        outcome=Outcome.FAILURE,
        subject_type="audit.pendingauditevent",
        subject_id=str(public_id),
        details={"recorded_action": recorded_action[: domain.DETAIL_STRING_MAX_LENGTH]},
    )


def _chain_missing_events() -> None:
    """Witnessed events whose row is neither pending nor chained were deleted unseen. Checked
    under the chain lock, so no sealer moves a row between the two reads."""
    witnessed = witness.outstanding()
    if not witnessed:
        return
    with transaction.atomic():
        _lock_chain()
        ids = [public_id for public_id, _action in witnessed]
        present = {
            str(value)
            for value in PendingAuditEvent.objects.filter(public_id__in=ids).values_list(
                "public_id", flat=True
            )
        }
        chained = {
            str(value)
            for value in AuditEvent.objects.filter(public_id__in=ids).values_list(
                "public_id", flat=True
            )
        }
        missing = [(i, action) for i, action in witnessed if i not in present and i not in chained]
        alerts = [
            _integrity_alert(domain.AUDIT_PENDING_MISSING, public_id, action)
            for public_id, action in missing
        ]
        if alerts:
            _chain(alerts)
            AuditEvent.objects.bulk_create(alerts)
    witness.forget([(i, action) for i, action in witnessed if i in chained] + missing)


def count_pending_integrity_failures() -> int:
    """Pending events the sealer found changed, forged or deleted, ever (for /metrics)."""
    return AuditEvent.objects.filter(
        action__in=(domain.AUDIT_PENDING_TAMPERED, domain.AUDIT_PENDING_MISSING)
    ).count()


def count_pending_events() -> int:
    return PendingAuditEvent.objects.count()


def pending_backlog() -> tuple[int, dt.datetime | None]:
    """How many events wait to be chained, and when the oldest was recorded (for /metrics: a
    growing backlog means beat or its sealer has stopped)."""
    backlog = PendingAuditEvent.objects.aggregate(count=Count("id"), oldest=Min("occurred_at"))
    return backlog["count"], backlog["oldest"]


def _chain(events: list[AuditEvent]) -> None:
    """Give ``events``, in order, the next sequences, links and hashes. Call under the lock."""
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, prev_hash = head if head is not None else (0, domain.GENESIS_HASH)
    key = keys.chain_key()
    for event in events:
        sequence += 1
        event.sequence, event.prev_hash = sequence, prev_hash
        event.hash = domain.compute_event_hash(hashed_fields(event), event.prev_hash, key)
        prev_hash = event.hash


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
