"""Prescriptions a member holds with the PBM (the basis of refills and claims)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel


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
