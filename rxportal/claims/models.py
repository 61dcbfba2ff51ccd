"""Adjudicated pharmacy claims and the plan-year accumulators they move.

Claims are a financial record: never deleted (database trigger), only reversed by a new row.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel, money_field
from rxportal.plans.models import Channel, Tier


class ClaimStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    REVERSED = "reversed", _("Reversed")
    REJECTED = "rejected", _("Rejected")


class RejectCode(models.TextChoices):
    """NCPDP reject codes a member meets, in the member's words. A claim stores the code; the
    words are said at the edge, in the reader's language. A code not listed here falls back to
    the adjudicator's own text (``Claim.reject_reason``)."""

    SUBMIT_TO_OTHER_PAYER = "41", _("Bill the primary insurance first")
    PATIENT_NOT_COVERED = "65", _("The person was not covered")
    FILLED_AFTER_COVERAGE_ENDED = "69", _("Filled after the coverage ended")
    NOT_COVERED = "70", _("The plan does not cover this drug")
    PRIOR_AUTHORIZATION_REQUIRED = "75", _("Prior authorization required")
    PLAN_LIMITS_EXCEEDED = "76", _("More than the plan allows")
    REFILL_TOO_SOON = "79", _("Refill too soon")
    DUPLICATE_CLAIM = "83", _("Duplicate claim")
    DRUG_SAFETY_REVIEW = "88", _("Stopped by a drug safety check")
    DAYS_SUPPLY_LIMIT = "AG", _("Days supply over the plan's limit")
    NOT_ON_FORMULARY = "MR", _("Not on the plan's drug list")


class Claim(BaseModel):
    claim_number = models.CharField(max_length=24, unique=True)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="claims")
    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="claims")
    prescription = models.ForeignKey(
        "prescriptions.Prescription",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
    )
    drug = models.ForeignKey("formulary.Drug", on_delete=models.PROTECT, related_name="claims")
    pharmacy = models.ForeignKey(
        "pharmacies.Pharmacy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    service_date = models.DateField()
    status = models.CharField(max_length=10, choices=ClaimStatus.choices)
    reject_code = models.CharField(max_length=4, blank=True, help_text="NCPDP reject code")
    # The adjudicator's own words, kept for a code ``RejectCode`` does not know.
    reject_reason = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    tier = models.CharField(max_length=32, choices=Tier.choices)
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    days_supply = models.PositiveSmallIntegerField()
    total_cost = money_field()
    plan_paid = money_field()
    member_paid = money_field()
    deductible_applied = money_field()
    oop_applied = money_field()

    class Meta:
        ordering = ["-service_date", "-id"]
        indexes = [
            models.Index(fields=["member", "-service_date", "-id"], name="claim_member_recent")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_cost__gte=0)
                & Q(plan_paid__gte=0)
                & Q(member_paid__gte=0)
                & Q(deductible_applied__gte=0)
                & Q(oop_applied__gte=0),
                name="claim_money_non_negative",
            ),
            models.CheckConstraint(
                # Round: SQLite keeps decimals as binary floats, so 5.67 + 6.67 != 12.34 there.
                condition=~Q(status="paid")
                | Q(total_cost=Round(F("plan_paid") + F("member_paid"), 2)),
                name="claim_paid_amounts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(deductible_applied__lte=F("member_paid"))
                & Q(oop_applied__lte=F("member_paid")),
                name="claim_applied_within_member_paid",
            ),
            models.CheckConstraint(
                condition=Q(days_supply__gte=1), name="claim_days_supply_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.claim_number

    @property
    def reject_reason_label(self) -> str:
        """Why the claim was rejected, in the active language: the words of its code, else the
        adjudicator's text for a code the portal does not know."""
        if self.reject_code in RejectCode.values:
            return str(RejectCode(self.reject_code).label)
        return self.reject_reason

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Claims are never deleted; reverse them with a new claim.")


class AccumulatorScope(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    FAMILY = "family", _("Family")


class Accumulator(BaseModel):
    """Deductible and out-of-pocket met for one person (or one family, keyed by its subscriber)."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="accumulators"
    )
    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="accumulators")
    plan_year = models.PositiveSmallIntegerField()
    scope = models.CharField(max_length=10, choices=AccumulatorScope.choices)
    deductible_met = money_field(default=0)
    oop_met = money_field(default=0)

    class Meta:
        ordering = ["member", "plan_year", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "plan", "plan_year", "scope"], name="accumulator_unique"
            ),
            models.CheckConstraint(
                condition=Q(deductible_met__gte=0) & Q(oop_met__gte=0),
                name="accumulator_non_negative",
            ),
        ]


class ClaimMonthTotal(models.Model):
    """One member's claims in one calendar month, summed: what the claims page's totals and
    monthly chart show when no drug, pharmacy or status filter is set, read in people x months
    rows whatever the history.

    Kept in step with ``Claim`` by database triggers (migration 0005) on every insert and
    update, so no write path (adjudication, reversal, import, the demo's COPY, the admin, raw
    SQL) can forget it. Never written by Django code. "Paid" follows
    ``domain.is_counted_in_totals``: paid claims that do not reverse another.
    """

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month of service")
    claim_count = models.IntegerField(default=0, help_text="Claims of every status")
    paid_count = models.IntegerField(default=0, help_text="Claims counted in the totals")
    member_paid = money_field(default=0)
    plan_paid = money_field(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="claim_month_total_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}"
