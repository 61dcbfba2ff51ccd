"""Drugs (RxNorm), formularies and the coverage rules on each formulary entry."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel, money_field
from rxportal.formulary.domain import compute_display_name
from rxportal.plans.models import Tier


class DeaSchedule(models.TextChoices):
    """Same values as domain.DeaSchedule (21 CFR 1308.11-.15)."""

    NONE = "", _("Not controlled")
    CI = "CI", _("Schedule I")
    CII = "CII", _("Schedule II")
    CIII = "CIII", _("Schedule III")
    CIV = "CIV", _("Schedule IV")
    CV = "CV", _("Schedule V")


class Drug(BaseModel):
    rxcui = models.CharField("RxNorm code", max_length=16, unique=True)
    ndc = models.CharField("NDC", max_length=11, blank=True)
    name = models.CharField(max_length=300, help_text="RxNorm normalized name")
    ingredient = models.CharField(max_length=200, blank=True)
    strength = models.CharField(max_length=120, blank=True)
    dose_form = models.CharField(max_length=120, blank=True)
    brand_name = models.CharField(max_length=120, blank=True)
    is_brand = models.BooleanField(default=False)
    therapeutic_class = models.CharField(max_length=120, blank=True)
    is_insulin = models.BooleanField(default=False)
    # Controlled Substances Act schedule, from data/reference/dea_controlled_substances.csv.
    dea_schedule = models.CharField(
        "DEA schedule", max_length=4, choices=DeaSchedule.choices, blank=True, default=""
    )
    # Synthea's triangular price per dispense unit (USD): the demo's drug cost.
    unit_cost_min = money_field(null=True, blank=True)
    unit_cost_mode = money_field(null=True, blank=True)
    unit_cost_max = money_field(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["name"]),
            # Drug page (other strengths and forms) and search results (a name's drugs).
            models.Index(fields=["ingredient"], name="formulary_drug_ingredient"),
            models.Index(fields=["brand_name"], name="formulary_drug_brand_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit_cost_mode__isnull=True) | Q(unit_cost_mode__gte=0))
                & (Q(unit_cost_min__isnull=True) | Q(unit_cost_min__gte=0))
                & (Q(unit_cost_max__isnull=True) | Q(unit_cost_max__gte=0)),
                name="drug_unit_costs_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """What members read: "Lipitor 40 MG Oral Tablet", "Errin 28 Day (norethindrone 0.35 MG
        Oral Tablet, pack of 28)" (domain.compute_display_name); the RxNorm name is `name`.
        Computed from the name alone, so a query that loads `name` has all it needs."""
        return compute_display_name(self.name)

    @property
    def form_label(self) -> str:
        """Strength and dose form ("40 MG Oral Tablet"); a pack, or a drug without them, by
        its display name (a pack's strengths and forms are inside it)."""
        if self.dose_form == "Pack":
            return self.display_name
        return " ".join(part for part in (self.strength, self.dose_form) if part) or (
            self.display_name
        )


class Formulary(BaseModel):
    code = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    plan_year = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "formularies"

    def __str__(self) -> str:
        return self.name


class FormularyEntry(BaseModel):
    formulary = models.ForeignKey(Formulary, on_delete=models.CASCADE, related_name="entries")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="formulary_entries")
    tier = models.CharField(max_length=32, choices=Tier.choices)
    prior_authorization = models.BooleanField(default=False)
    step_therapy = models.BooleanField(default=False)
    quantity_limit = models.BooleanField(default=False)
    quantity_limit_amount = models.PositiveIntegerField(null=True, blank=True)
    quantity_limit_days = models.PositiveIntegerField(null=True, blank=True)
    quantity_limit_detail = models.CharField(max_length=300, blank=True)
    is_specialty = models.BooleanField(default=False)
    mail_eligible = models.BooleanField(default=True)
    alternatives = models.ManyToManyField(Drug, blank=True, related_name="alternative_for")

    class Meta:
        ordering = ["formulary", "drug__name"]
        verbose_name_plural = "formulary entries"
        constraints = [
            models.UniqueConstraint(
                fields=["formulary", "drug"], name="formulary_entry_unique_drug"
            ),
            models.CheckConstraint(
                condition=Q(quantity_limit=True)
                | (Q(quantity_limit_amount__isnull=True) & Q(quantity_limit_days__isnull=True)),
                name="formulary_entry_limit_only_when_flagged",
            ),
        ]


class FormularyVersion(BaseModel):
    """One import's set of coverage changes to a formulary: announced together, effective
    together, and the unit members are alerted about (one alert per member per version)."""

    formulary = models.ForeignKey(Formulary, on_delete=models.CASCADE, related_name="versions")
    announced_on = models.DateField()
    effective_on = models.DateField()
    # A drug pulled for safety: its changes took effect the day they were announced.
    safety_withdrawal = models.BooleanField(default=False)
    # Set when the member scan has finished (a scan that runs again sends nothing new anyway).
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["formulary", "-announced_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_on__gte=models.F("announced_on")),
                name="formulary_version_effective_after_announced",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.formulary.code} effective {self.effective_on.isoformat()}"


class ChangeStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    APPLIED = "applied", "Applied"
    # A later import no longer asked for it (or asked for something else) before it took effect.
    CANCELLED = "cancelled", "Cancelled"


class FormularyChange(BaseModel):
    """A drug's coverage that gets harder or dearer on `version.effective_on`.

    Until then the entry keeps its old values (members keep paying and filling as before);
    `entry_after` holds the imported values to write then, or null when the drug leaves the
    formulary. `kinds` are domain.ChangeKind values, comma-separated.
    """

    version = models.ForeignKey(FormularyVersion, on_delete=models.CASCADE, related_name="changes")
    formulary = models.ForeignKey(Formulary, on_delete=models.CASCADE, related_name="changes")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="formulary_changes")
    kinds = models.CharField(max_length=120)
    tier_before = models.CharField(max_length=32)
    tier_after = models.CharField(max_length=32, blank=True)
    entry_after = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.SCHEDULED
    )

    class Meta:
        ordering = ["version", "drug__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["formulary", "drug"],
                condition=Q(status="scheduled"),
                name="formulary_change_one_scheduled_per_drug",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} ({self.kinds})"

    @property
    def kind_list(self) -> list[str]:
        return [kind for kind in self.kinds.split(",") if kind]


# --- Drug search index --------------------------------------------------------------------
# Derived from Drug by services.rebuild_drug_search_index (run by the drug and formulary
# imports); plain tables without public ids or timestamps, never shown or linked by id.


class SearchKind(models.TextChoices):
    """Same values as domain.SearchKind."""

    GENERIC = "generic", _("Generic")
    BRAND = "brand", _("Brand")


class DrugSearchName(models.Model):
    """A generic (ingredient) or brand name that stands for all its strengths and forms."""

    kind = models.CharField(max_length=10, choices=SearchKind.choices)
    label = models.CharField(max_length=300)
    sort_label = models.CharField(max_length=300)
    ingredient = models.CharField(max_length=200, blank=True)
    # Where a suggestion for this name leads: its first strength.
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["sort_label", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "label"], name="drug_search_name_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class DrugSearchTerm(models.Model):
    """A normalized text a query is compared with (PostgreSQL: GIN trigram index on `term`)."""

    search_name = models.ForeignKey(DrugSearchName, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=300)
    weight = models.PositiveSmallIntegerField()
    # Size of the term's pg_trgm trigram set: the SQLite query's similarity denominator.
    trigram_count = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["search_name", "term"], name="drug_search_term_unique"),
        ]

    def __str__(self) -> str:
        return self.term


class DrugSearchTrigram(models.Model):
    """The SQLite stand-in for a GIN trigram index: one row per trigram of each term.

    Filled only on databases other than PostgreSQL, which uses pg_trgm instead.
    """

    term = models.ForeignKey(DrugSearchTerm, on_delete=models.CASCADE, related_name="trigrams")
    trigram = models.CharField(max_length=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trigram", "term"], name="drug_search_trigram_unique"),
        ]

    def __str__(self) -> str:
        return repr(self.trigram)
