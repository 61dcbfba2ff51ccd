"""Mail-order prescriptions and their status history."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    VERIFYING = "verifying", _("Verifying")
    PROCESSING = "processing", _("Processing")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")


class MailOrder(BaseModel):
    order_number = models.CharField(max_length=20, unique=True)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="mail_orders"
    )
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.RECEIVED
    )
    status_reason = models.CharField(max_length=200, blank=True)
    ship_to_name = models.CharField(max_length=200)
    ship_to_address_line = models.CharField(max_length=200)
    ship_to_city = models.CharField(max_length=100)
    ship_to_state = models.CharField(max_length=2)
    ship_to_zip = models.CharField(max_length=10)
    carrier = models.CharField(max_length=40, blank=True)
    tracking_number = models.CharField(max_length=40, blank=True)
    ordered_at = models.DateTimeField()
    expected_delivery = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-ordered_at"]
        indexes = [models.Index(fields=["member", "-ordered_at"], name="mail_order_member_recent")]

    def __str__(self) -> str:
        return self.order_number


class MailOrderLine(models.Model):
    order = models.ForeignKey(MailOrder, on_delete=models.CASCADE, related_name="lines")
    prescription = models.ForeignKey(
        "prescriptions.Prescription", on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    days_supply = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} x {self.days_supply} days"


class MailOrderEvent(models.Model):
    """One step of the status timeline; append-only."""

    order = models.ForeignKey(MailOrder, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=OrderStatus.choices)
    note = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.occurred_at:%Y-%m-%d %H:%M}"
