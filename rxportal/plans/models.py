"""Plans and their benefit design: the numbers the benefit engine prices claims with."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel, money_field


class Tier(models.TextChoices):
    """Da Vinci US Drug Formulary tier codes (same values as pricing.engine.Tier)."""

    GENERIC = "generic", _("Generic")
    PREFERRED_GENERIC = "preferred-generic", _("Preferred generic")
    PREFERRED_BRAND = "preferred-brand", _("Preferred brand")
    NON_PREFERRED_BRAND = "non-preferred-brand", _("Non-preferred brand")
    SPECIALTY = "specialty", _("Specialty")
    ZERO_COST_SHARE_PREVENTATIVE = "zero-cost-share-preventative", _("Preventive, no cost")


class Channel(models.TextChoices):
    RETAIL_30 = "retail_30", _("Retail, 30-day")
    RETAIL_90 = "retail_90", _("Retail, 90-day")
    MAIL_90 = "mail_90", _("Mail order, 90-day")
    SPECIALTY = "specialty", _("Specialty pharmacy")


class PlanKind(models.TextChoices):
    COMMERCIAL = "commercial", _("Commercial")
    MEDICARE_PART_D = "medicare_part_d", _("Medicare Part D")


class Plan(BaseModel):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="plans")
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PlanKind.choices, default=PlanKind.COMMERCIAL)
    plan_year = models.PositiveSmallIntegerField()
    rx_bin = models.CharField("RxBIN", max_length=6)
    rx_pcn = models.CharField("RxPCN", max_length=10)
    rx_group = models.CharField("RxGroup", max_length=15)
    issuer_name = models.CharField(max_length=200, blank=True)
    source_plan_id = models.CharField(
        max_length=20, blank=True, help_text=_("HIOS plan id the cost sharing came from")
    )
    formulary = models.ForeignKey(
        "formulary.Formulary", on_delete=models.PROTECT, related_name="plans"
    )
    network = models.ForeignKey(
        "pharmacies.Network", on_delete=models.PROTECT, related_name="plans"
    )
    deductible_individual = money_field()
    deductible_family = money_field(null=True, blank=True)
    oop_max_individual = money_field()
    oop_max_family = money_field(null=True, blank=True)
    insulin_monthly_cap = money_field(null=True, blank=True)
    out_of_network_covered = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deductible_individual__gte=0) & Q(oop_max_individual__gte=0),
                name="plan_individual_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=(Q(deductible_family__isnull=True) | Q(deductible_family__gte=0))
                & (Q(oop_max_family__isnull=True) | Q(oop_max_family__gte=0)),
                name="plan_family_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(insulin_monthly_cap__isnull=True) | Q(insulin_monthly_cap__gte=0),
                name="plan_insulin_cap_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CostShare(BaseModel):
    """Member cost share for one tier in one channel. Exactly one of copay / coinsurance."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="cost_shares")
    tier = models.CharField(max_length=32, choices=Tier.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    copay = money_field(null=True, blank=True)
    coinsurance_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    minimum = money_field(null=True, blank=True)
    maximum = money_field(null=True, blank=True)
    deductible_applies = models.BooleanField(default=True)

    class Meta:
        ordering = ["plan", "tier", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "tier", "channel"], name="cost_share_unique_per_tier_channel"
            ),
            models.CheckConstraint(
                condition=(Q(copay__isnull=False) & Q(coinsurance_pct__isnull=True))
                | (Q(copay__isnull=True) & Q(coinsurance_pct__isnull=False)),
                name="cost_share_copay_xor_coinsurance",
            ),
            models.CheckConstraint(
                condition=(Q(copay__isnull=True) | Q(copay__gte=0))
                & (
                    Q(coinsurance_pct__isnull=True)
                    | (Q(coinsurance_pct__gte=0) & Q(coinsurance_pct__lte=100))
                )
                & (Q(minimum__isnull=True) | Q(minimum__gte=0))
                & (Q(maximum__isnull=True) | Q(maximum__gte=0)),
                name="cost_share_amounts_in_range",
            ),
        ]
