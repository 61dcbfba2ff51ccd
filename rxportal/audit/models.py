"""The append-only, hash-chained audit trail (HIPAA 45 CFR 164.312(b); OWASP ASVS V7).

Rows are written only by ``rxportal.audit.services`` (``record_event`` inline, or
``seal_pending_events`` for events recorded as ``PendingAuditEvent`` off the request path). Database triggers refuse
UPDATE and DELETE (migration 0002), and each row's ``hash`` covers its fields and the previous
row's hash (see ``rxportal.audit.domain``), so edits made around the triggers are detectable
with ``manage.py verify_audit_chain``.

No passwords, codes or PHI: subjects are public ids, details are small non-PHI metadata.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")


class AuditEvent(models.Model):
    """One security event or staff action. Immutable once written."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Position in the chain: 1, 2, 3… with no gaps, assigned under a lock by the service.
    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True, editable=False)
    # PROTECT: a user with audit history is deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    # Snapshots, so the record still reads correctly after a rename or role change.
    actor_username = models.CharField(max_length=150, blank=True, db_index=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    user_agent = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="audit_subject_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(sequence__gte=1), name="audit_sequence_positive"),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="audit_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} ({self.outcome})"


class PendingAuditEvent(models.Model):
    """An event recorded but not yet chained (``RXPORTAL_AUDIT_APPEND = "deferred"``).

    The request writes this row in one INSERT, inside its own transaction, so the event commits or
    rolls back with what it describes and costs no chain lock. ``seal_pending_events`` (a beat job
    every few seconds) moves rows, oldest first, into ``AuditEvent`` and deletes them in the same
    transaction: a sealer that dies mid-way leaves every row pending, none half-chained.
    """

    # Kept by the sealed event, so a reference taken at record time stays valid.
    public_id = models.UUIDField(unique=True, editable=False)
    occurred_at = models.DateTimeField(editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=100)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    # HMAC of the fields above (``domain.compute_pending_seal``), checked by the sealer.
    seal = models.CharField(max_length=64, default="", editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            # As AuditEvent's: a row the chain would refuse must fail here, in the request that
            # records it, not in the sealer (where it would stop every later event).
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="audit_pending_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"pending {self.action} ({self.outcome})"
