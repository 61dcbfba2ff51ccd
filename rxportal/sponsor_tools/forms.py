"""Forms of the sponsors' PHI tools: input shape only. Both are POSTed, so no member id, name
or date of birth ever lands in a URL or an access log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.core import widgets
from rxportal.core.forms import DescribedFieldsMixin

DATE_FORMAT = "%Y-%m-%d"


def _date(label: Any, *, required: bool) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=[DATE_FORMAT],
        widget=widgets.DateInput(format=DATE_FORMAT),
        error_messages={"invalid": _("Enter a date like 2026-01-31.")},
    )


class EligibilitySearchForm(DescribedFieldsMixin, forms.Form):
    member_id = forms.CharField(
        label=_("Member ID"),
        required=False,
        max_length=40,
        help_text=_("As on the ID card, with or without the person code (01, 02…)."),
    )
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    date_of_birth = _date(_("Date of birth"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        by_name = all(cleaned.get(f) for f in ("last_name", "first_name", "date_of_birth"))
        if not cleaned.get("member_id") and not by_name and not self.errors:
            raise forms.ValidationError(
                _("Enter a member ID, or a last name, first name and date of birth.")
            )
        return cleaned


class ClaimsReportForm(DescribedFieldsMixin, forms.Form):
    start_date = _date(_("From"), required=True)
    end_date = _date(_("To"), required=True)
    drug = forms.CharField(
        label=_("Drug (optional)"),
        required=False,
        max_length=100,
        help_text=_("Part of the drug's name, or its RxCUI."),
    )
    member_id = forms.CharField(
        label=_("Member ID (optional)"),
        required=False,
        max_length=40,
        help_text=_("Only this card's claims (the member and their dependents)."),
    )
