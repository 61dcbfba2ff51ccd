"""Prescriptions a member holds with the PBM (the basis of refills and claims)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel, money_field


class PrescriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class Prescription(BaseModel):
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="prescriptions"
    )
    drug = models.ForeignKey(
        "formulary.Drug", on_delete=models.PROTECT, related_name="prescriptions"
    )
    rx_number = models.CharField(max_length=20, unique=True)
    prescriber_name = models.CharField(max_length=200)
    prescriber_npi = models.CharField(max_length=10, blank=True)
    written_on = models.DateField()
    expires_on = models.DateField()
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    days_supply = models.PositiveSmallIntegerField()
    refills_authorized = models.PositiveSmallIntegerField(default=0)
    refills_remaining = models.PositiveSmallIntegerField(default=0)
    last_filled_on = models.DateField(null=True, blank=True)
    auto_refill = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=PrescriptionStatus.choices, default=PrescriptionStatus.ACTIVE
    )

    class Meta:
        ordering = ["-written_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="prescription_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(days_supply__gte=1), name="prescription_days_supply_positive"
            ),
            models.CheckConstraint(
                condition=Q(refills_remaining__lte=models.F("refills_authorized")),
                name="prescription_refills_within_authorized",
            ),
        ]


class Fulfilment(models.TextChoices):
    MAIL = "mail", _("Mail delivery")
    PICKUP = "pickup", _("Pick-up at a pharmacy")


class RefillRequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    SENT_TO_PHARMACY = "sent_to_pharmacy", _("Sent to the pharmacy")
    READY = "ready", _("Ready")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class RefillRequest(BaseModel):
    """A member's (or the automatic-refill job's) request to refill prescriptions of one person.

    ``idempotency_key`` comes from the confirm form (or is derived from the prescription and its
    due date for automatic refills): the same requester and key never make a second request.
    ``requested_by`` is empty for automatic refills.
    """

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="refill_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refill_requests",
    )
    idempotency_key = models.UUIDField()
    fulfilment = models.CharField(max_length=10, choices=Fulfilment.choices)
    pharmacy = models.ForeignKey(
        "pharmacies.Pharmacy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refill_requests",
    )
    mail_order = models.ForeignKey(
        "orders.MailOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refill_requests",
    )
    is_automatic = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=RefillRequestStatus.choices, default=RefillRequestStatus.SUBMITTED
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["member", "-created_at"], name="refill_request_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                name="refill_request_unique_key_per_requester",
            ),
            # NULL requesters never collide above: automatic refills get their own constraint.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(requested_by__isnull=True),
                name="refill_request_unique_automatic_key",
            ),
            models.CheckConstraint(
                condition=(Q(fulfilment="mail") & Q(pharmacy__isnull=True))
                | (Q(fulfilment="pickup") & Q(pharmacy__isnull=False) & Q(mail_order__isnull=True)),
                name="refill_request_fulfilment_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.fulfilment}, {self.status})"


class RefillRequestLine(models.Model):
    request = models.ForeignKey(RefillRequest, on_delete=models.CASCADE, related_name="lines")
    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="refill_lines"
    )
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    days_supply = models.PositiveSmallIntegerField()
    # The benefit engine's estimate shown on the review page; empty when none could be made.
    estimated_member_cost = money_field(null=True, blank=True)
    # The prescription's last fill date before this refill, put back if the order is cancelled.
    previous_last_filled_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "prescription"], name="refill_line_one_per_prescription"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="refill_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(days_supply__gte=1), name="refill_line_days_supply_positive"
            ),
            models.CheckConstraint(
                condition=Q(estimated_member_cost__isnull=True) | Q(estimated_member_cost__gte=0),
                name="refill_line_estimate_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.quantity} x {self.days_supply} days"


class RenewalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")
    CANCELLED = "cancelled", _("Cancelled")


class RenewalRequest(BaseModel):
    """A request that we ask the prescriber for a new prescription; one open per prescription."""

    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="renewal_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="renewal_requests"
    )
    status = models.CharField(
        max_length=12, choices=RenewalStatus.choices, default=RenewalStatus.PENDING
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["prescription"],
                condition=Q(status="pending"),
                name="renewal_request_one_open_per_prescription",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"
