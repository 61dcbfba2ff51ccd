"""The what-if form: pick a plan and change its design. Input shape and ranges only."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.core.forms import DescribedFieldsMixin
from rxportal.plans.models import Channel, Plan, Tier
from rxportal.pricing.engine import Channel as EngineChannel
from rxportal.pricing.engine import Tier as EngineTier
from rxportal.whatif.design import CostShareChange, DesignChange

# Tier lines on the form: enough for a tier's copay and another's coinsurance, and a third.
TIER_LINES = 3
MAX_AMOUNT = Decimal("100000")
MAX_COPAY = Decimal("10000")


def _money(label: Any, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, help_text=help_text, required=False, min_value=Decimal(0),
        max_value=MAX_AMOUNT, max_digits=8, decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip


class WhatIfForm(DescribedFieldsMixin, forms.Form):
    plan = forms.ChoiceField(label=_("Plan"))
    deductible_individual = _money(
        _("Deductible, per person"), _("Leave blank to keep the plan's.")
    )
    deductible_family = _money(_("Deductible, per family"), _("Leave blank to keep the plan's."))
    oop_max_individual = _money(
        _("Out-of-pocket maximum, per person"), _("Leave blank to keep the plan's.")
    )
    oop_max_family = _money(
        _("Out-of-pocket maximum, per family"), _("Leave blank to keep the plan's.")
    )
    mail_copay_months = forms.DecimalField(
        label=_("Mail-order incentive: a 90-day mail fill costs this many months of the retail copay"),
        help_text=_("For example 2: three months by mail for the price of two. Blank: no change."),
        required=False, min_value=Decimal(0), max_value=Decimal(3), max_digits=3,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip

    def __init__(self, *args: Any, plans: Iterable[Plan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plans = {str(plan.public_id): plan for plan in plans}
        plan_field: forms.ChoiceField = self.fields["plan"]  # type: ignore[assignment]
        plan_field.choices = [
            ("", _("Choose a plan")),
            *((key, plan.name) for key, plan in self.plans.items()),
        ]
        for line in range(1, TIER_LINES + 1):
            self.fields[f"tier_{line}"] = forms.ChoiceField(
                label=_("Tier"), required=False, choices=[("", _("No change")), *Tier.choices]
            )
            self.fields[f"channel_{line}"] = forms.ChoiceField(
                label=_("Where"),
                required=False,
                choices=[("", _("Every channel the tier is priced in")), *Channel.choices],
            )
            self.fields[f"copay_{line}"] = forms.DecimalField(
                label=_("New copay, dollars"), required=False, min_value=Decimal(0),
                max_value=MAX_COPAY, max_digits=7, decimal_places=2,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )  # fmt: skip
            self.fields[f"coinsurance_{line}"] = forms.DecimalField(
                label=_("Or new coinsurance, percent"), required=False, min_value=Decimal(0),
                max_value=Decimal(100), max_digits=5, decimal_places=2,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )  # fmt: skip
        self.describe_fields()

    def tier_lines(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"{name}_{line}"] for name in ("tier", "channel", "copay", "coinsurance")]
            for line in range(1, TIER_LINES + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for line in range(1, TIER_LINES + 1):
            tier, copay = data.get(f"tier_{line}"), data.get(f"copay_{line}")
            coinsurance = data.get(f"coinsurance_{line}")
            if not tier and (copay is not None or coinsurance is not None):
                self.add_error(f"tier_{line}", _("Choose the tier this new amount is for."))
            elif tier and (copay is None) == (coinsurance is None):
                self.add_error(
                    f"copay_{line}", _("Enter either a copay or a coinsurance for this tier.")
                )
        plan = self.plans.get(data.get("plan") or "")
        if plan is not None:
            self._check_amounts(plan, data)
        if not self.errors and self.to_change().is_empty:
            raise forms.ValidationError(_("Change at least one amount to see what it does."))
        return data

    def _check_amounts(self, plan: Plan, data: dict[str, Any]) -> None:
        def pick(name: str) -> Decimal | None:
            value = data.get(name)
            return value if value is not None else getattr(plan, name)

        for deductible, oop in (
            ("deductible_individual", "oop_max_individual"),
            ("deductible_family", "oop_max_family"),
        ):
            low, high = pick(deductible), pick(oop)
            if low is not None and high is not None and high < low:
                self.add_error(oop, _("The out-of-pocket maximum cannot be below the deductible."))

    def chosen_plan(self) -> Plan:
        return self.plans[self.cleaned_data["plan"]]

    def to_change(self) -> DesignChange:
        data = self.cleaned_data
        lines = []
        for line in range(1, TIER_LINES + 1):
            tier = data.get(f"tier_{line}")
            if tier:
                channel = data.get(f"channel_{line}")
                lines.append(
                    CostShareChange(
                        tier=EngineTier(tier),
                        channel=EngineChannel(channel) if channel else None,
                        copay=data.get(f"copay_{line}"),
                        coinsurance_pct=data.get(f"coinsurance_{line}"),
                    )
                )
        return DesignChange(
            deductible_individual=data.get("deductible_individual"),
            deductible_family=data.get("deductible_family"),
            oop_max_individual=data.get("oop_max_individual"),
            oop_max_family=data.get("oop_max_family"),
            cost_shares=tuple(lines),
            mail_copay_months=data.get("mail_copay_months"),
        )
