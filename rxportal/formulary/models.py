"""Drugs (RxNorm), formularies and the coverage rules on each formulary entry."""

from django.db import models
from django.db.models import Q

from rxportal.core.models import BaseModel, money_field
from rxportal.plans.models import Tier


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
    # Synthea's triangular price per dispense unit (USD): the demo's drug cost.
    unit_cost_min = money_field(null=True, blank=True)
    unit_cost_mode = money_field(null=True, blank=True)
    unit_cost_max = money_field(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]
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
