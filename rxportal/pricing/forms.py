"""The cost estimator's GET form: input shape only; the selectors apply the plan's rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.plans.models import Channel
from rxportal.pricing.domain import MAX_DAYS_SUPPLY, MAX_QUANTITY

CHANNEL_CHOICES = [
    (Channel.RETAIL_30.value, _("Retail pharmacy, 30-day supply")),
    (Channel.RETAIL_90.value, _("Retail pharmacy, 90-day supply")),
    (Channel.MAIL_90.value, _("Mail order, 90-day supply")),
]
DRUG_TEXT_MAX_LENGTH = 120


class EstimateForm(forms.Form):
    """Bound to request.GET (an estimate is a bookmarkable URL), or to the POST of "save"."""

    person = forms.ChoiceField(label=_("Who is the drug for?"), required=False)
    drug = forms.UUIDField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Drug name"),
        help_text=_("Brand or generic name with strength, for example atorvastatin 20 MG."),
        max_length=DRUG_TEXT_MAX_LENGTH,
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("Where and how much"),
        choices=CHANNEL_CHOICES,
        initial=Channel.RETAIL_30.value,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose retail 30-day, retail 90-day or mail order.")},
    )
    quantity = forms.DecimalField(
        label=_("Quantity (units)"),
        help_text=_("Tablets, capsules, mL, pens or inhalers. Leave empty for a usual amount."),
        required=False,
        max_digits=9,
        decimal_places=3,
        error_messages={
            "invalid": _("Enter the quantity as a number, for example 30."),
            "max_digits": _("Enter a quantity of at most %(max)s units.") % {"max": MAX_QUANTITY},
            "max_whole_digits": _("Enter a quantity of at most %(max)s units.")
            % {"max": MAX_QUANTITY},
            "max_decimal_places": _("Enter the quantity with at most 3 decimals."),
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    days_supply = forms.IntegerField(
        label=_("Days supply"),
        help_text=_("Leave empty for 30 days at retail, 90 days for a 90-day supply."),
        required=False,
        error_messages={
            "invalid": _("Enter the days supply as a whole number, for example 30."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    pharmacy = forms.ChoiceField(label=_("Pharmacy (optional)"), required=False)

    def __init__(
        self,
        *args: Any,
        people: Sequence[tuple[str, str]] = (),
        pharmacies: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["person"]).choices = list(people)
        cast(forms.ChoiceField, self.fields["pharmacy"]).choices = [
            ("", _("Any in-network pharmacy")),
            *pharmacies,
        ]
        self.fields["pharmacy"].error_messages["invalid_choice"] = _(
            "Choose a pharmacy from the list."
        )
        self.fields["person"].error_messages["invalid_choice"] = _("Choose someone from the list.")

    def clean_days_supply(self) -> int | None:
        days = self.cleaned_data.get("days_supply")
        if days is not None and not 1 <= days <= MAX_DAYS_SUPPLY:
            raise forms.ValidationError(
                _("Enter a days supply from 1 to %(max)s.") % {"max": MAX_DAYS_SUPPLY}
            )
        return days

    @property
    def has_drug(self) -> bool:
        return bool(self.is_bound and (self.data.get("drug") or self.data.get("q")))
