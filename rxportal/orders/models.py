"""Mail-order prescriptions and their status history."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel
from rxportal.orders import domain


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    VERIFYING = "verifying", _("Verifying")
    PROCESSING = "processing", _("Processing")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")


class CancelReason(models.TextChoices):
    """Why a member cancels an order (the reason select on the cancel page)."""

    NO_LONGER_NEEDED = "no_longer_needed", _("I no longer need this medication")
    ORDERED_BY_MISTAKE = "ordered_by_mistake", _("I ordered it by mistake")
    PICK_UP_AT_PHARMACY = "pick_up_at_pharmacy", _("I will pick it up at a pharmacy instead")
    DELIVERY_TOO_SLOW = "delivery_too_slow", _("It would arrive too late")
    WRONG_ADDRESS = "wrong_address", _("It would go to the wrong address")
    OTHER = "other", _("Another reason")


class PharmacyReason(models.TextChoices):
    """Why the pharmacy holds or cancels an order (what it tells the member)."""

    PRESCRIBER_CONFIRMATION = (
        "prescriber_confirmation",
        _("Waiting for the prescriber to confirm the prescription"),
    )
    PAYMENT_DECLINED = "payment_declined", _("Payment method on file was declined")
    PRIOR_AUTHORIZATION = "prior_authorization", _("Prior authorization pending")
    ADDRESS_UNVERIFIED = "address_unverified", _("Address could not be verified")
    MEMBER_REQUEST = "member_request", _("Cancelled at the member's request")
    PRESCRIPTION_EXPIRED = (
        "prescription_expired",
        _("Prescription expired before it could be filled"),
    )
    DUPLICATE_ORDER = "duplicate_order", _("Duplicate order")
    PRESCRIBER_DISCONTINUED = "prescriber_discontinued", _("Prescriber discontinued the medication")


# An order's reason is stored as a code (the member's cancel reason or the pharmacy's) and said
# at the edge in the reader's language.
ORDER_REASONS = [*CancelReason.choices, *PharmacyReason.choices]
_REASON_LABELS = dict(ORDER_REASONS)


def order_reason_label(code: str) -> str:
    """The words of a stored reason code in the active language; "" for none."""
    label = _REASON_LABELS.get(code)
    return str(label) if label is not None else ""


class MailOrder(BaseModel):
    order_number = models.CharField(max_length=20, unique=True)
    # The order's patient: every line is a prescription of this member (``place_mail_order``
    # refuses anything else), whoever placed it. Who may see the order follows from the patient
    # and the family-access rule (``orders.selectors._visible_orders``), never from the placer.
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="mail_orders"
    )
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.RECEIVED
    )
    status_reason = models.CharField(max_length=40, blank=True, choices=ORDER_REASONS)
    ship_to_name = models.CharField(max_length=200)
    ship_to_address_line = models.CharField(max_length=200)
    ship_to_city = models.CharField(max_length=100)
    ship_to_state = models.CharField(max_length=2)
    ship_to_zip = models.CharField(max_length=10)
    carrier = models.CharField(max_length=40, blank=True)
    tracking_number = models.CharField(max_length=40, blank=True)
    ordered_at = models.DateTimeField()
    expected_delivery = models.DateField(null=True, blank=True)

    # Not stored: set by the orders selectors for the day they read the order
    # (``domain.compute_attention``): late, on hold, or None.
    attention: domain.Attention | None = None

    class Meta:
        ordering = ["-ordered_at"]
        indexes = [models.Index(fields=["member", "-ordered_at"], name="mail_order_member_recent")]

    def __str__(self) -> str:
        return self.order_number

    @property
    def tracking_url(self) -> str | None:
        """The carrier's tracking page, or None (unknown carrier, or not shipped yet)."""
        if not (self.carrier and self.tracking_number):
            return None
        return domain.compute_tracking_url(
            carrier=self.carrier, tracking_number=self.tracking_number
        )

    @property
    def patient_first_names(self) -> list[str]:
        """Whom the order's prescriptions are for (from the prefetched lines), in line order:
        the order's ``member`` alone, except on orders stored before an order had one patient."""
        names: list[str] = []
        for line in self.lines.all():
            name = line.prescription.member.first_name
            if name not in names:
                names.append(name)
        return names

    @property
    def status_reason_label(self) -> str:
        return order_reason_label(self.status_reason)

    @property
    def is_late(self) -> bool:
        return self.attention is domain.Attention.LATE

    @property
    def can_cancel(self) -> bool:
        return domain.can_cancel(self.status)

    @property
    def is_open(self) -> bool:
        return domain.is_open(self.status)


class MailOrderLine(models.Model):
    order = models.ForeignKey(MailOrder, on_delete=models.CASCADE, related_name="lines")
    prescription = models.ForeignKey(
        "prescriptions.Prescription", on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    days_supply = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="mail_order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(days_supply__gte=1), name="mail_order_line_days_supply_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} x {self.days_supply} days"


class MailOrderEvent(models.Model):
    """One step of the status timeline; append-only."""

    order = models.ForeignKey(MailOrder, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=OrderStatus.choices)
    # Why, for a hold or a cancellation (a code of ORDER_REASONS); the step says the rest.
    reason = models.CharField(max_length=40, blank=True, choices=ORDER_REASONS)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ShippingAddress(BaseModel):
    """An address a member has saved for mail orders; at most one is their default."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="shipping_addresses"
    )
    label = models.CharField(_("label"), max_length=40, blank=True)
    name = models.CharField(_("recipient name"), max_length=200)
    line1 = models.CharField(_("address line 1"), max_length=100)
    line2 = models.CharField(_("address line 2"), max_length=90, blank=True)
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(_("state"), max_length=2)
    zip_code = models.CharField(_("ZIP code"), max_length=10)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(is_default=True),
                name="shipping_address_one_default_per_member",
            ),
            models.CheckConstraint(
                condition=Q(state__regex=r"^[A-Z]{2}$"), name="shipping_address_state_two_letters"
            ),
            models.CheckConstraint(
                condition=Q(zip_code__regex=r"^[0-9]{5}(-[0-9]{4})?$"),
                name="shipping_address_zip_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.line1}, {self.city} {self.state} {self.zip_code}"

    @property
    def address_line(self) -> str:
        """Line 1 and line 2 on one line, as stored on an order's ship-to."""
        return f"{self.line1}, {self.line2}" if self.line2 else self.line1
