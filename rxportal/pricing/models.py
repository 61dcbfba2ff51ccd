"""Price quotes: an estimate the member saved and can hold us to while it is valid."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel, money_field
from rxportal.plans.models import Channel, Tier


class NetworkStatus(models.TextChoices):
    """Same values as pricing.engine.NetworkStatus."""

    PREFERRED = "preferred", _("Preferred pharmacy")
    IN_NETWORK = "in_network", _("In network")
    OUT_OF_NETWORK = "out_of_network", _("Out of network")


class PriceQuote(BaseModel):
    """One saved estimate: its inputs, the accumulator state it used and the engine's result.

    Valid from `quoted_at` until `valid_until` (exclusive): 30 days, never past the end of the
    plan year (pricing.domain.compute_quote_valid_until). `quoted_at` is the service's clock
    (`created_at` is the row's insert time and cannot be set by the caller).
    """

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="price_quotes"
    )
    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="price_quotes")
    drug = models.ForeignKey(
        "formulary.Drug", on_delete=models.PROTECT, related_name="price_quotes"
    )
    pharmacy = models.ForeignKey(
        "pharmacies.Pharmacy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price_quotes",
    )
    # Inputs
    channel = models.CharField(max_length=16, choices=Channel.choices)
    tier = models.CharField(max_length=32, choices=Tier.choices)
    network_status = models.CharField(max_length=16, choices=NetworkStatus.choices)
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    days_supply = models.PositiveSmallIntegerField()
    is_insulin = models.BooleanField(default=False)
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    # The accumulator state the estimate used (before this fill)
    deductible_met = money_field()
    oop_met = money_field()
    family_deductible_met = money_field()
    family_oop_met = money_field()
    # The engine's result
    total_cost = money_field()
    member_pays = money_field()
    plan_pays = money_field()
    deductible_applied = money_field()
    explanation = models.JSONField(
        default=list, help_text=_("The engine's lines: [{code, text, amount}]")
    )
    quoted_at = models.DateTimeField()
    valid_until = models.DateTimeField()

    class Meta:
        ordering = ["-quoted_at", "-id"]
        indexes = [
            models.Index(fields=["member", "drug", "-quoted_at"], name="price_quote_member_drug")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_cost__gte=0)
                & Q(member_pays__gte=0)
                & Q(plan_pays__gte=0)
                & Q(deductible_applied__gte=0)
                & Q(unit_price__gte=0)
                & Q(deductible_met__gte=0)
                & Q(oop_met__gte=0)
                & Q(family_deductible_met__gte=0)
                & Q(family_oop_met__gte=0),
                name="price_quote_money_non_negative",
            ),
            models.CheckConstraint(
                # Round: SQLite keeps decimals as binary floats (see claims.Claim).
                condition=Q(total_cost=Round(F("plan_pays") + F("member_pays"), 2)),
                name="price_quote_amounts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(deductible_applied__lte=F("member_pays")),
                name="price_quote_deductible_within_member_pays",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(days_supply__gte=1) & Q(days_supply__lte=365),
                name="price_quote_inputs_in_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("quoted_at")),
                name="price_quote_valid_after_quoted",
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)
