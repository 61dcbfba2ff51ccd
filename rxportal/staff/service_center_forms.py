"""Service-center console forms (input shape only; the rules are in the services)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rxportal.members.selectors import normalize_zip5
from rxportal.staff.forms import _DATE_FORMATS, ZIP_INPUT_MAX_LENGTH, StaffForm
from rxportal.staff.service_center import ReasonCode

NAME_MAX_LENGTH = 100
_OFF = {"autocomplete": "off", "spellcheck": "false"}


def _name_field(label: Any, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=NAME_MAX_LENGTH,
        required=required,
        widget=forms.TextInput(attrs=_OFF),
    )


class MemberNameLookupForm(StaffForm):
    first_name = _name_field(_("First name"))
    last_name = _name_field(_("Last name"))
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        input_formats=_DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "off"}, format="%Y-%m-%d"),
    )
    zip_code = forms.CharField(
        label=_("ZIP code"),
        help_text=_("Five digits; ZIP+4 is fine."),
        max_length=ZIP_INPUT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"]
        if not re.fullmatch(r"[0-9 \-]+", unicodedata.normalize("NFKC", value)) or (
            normalize_zip5(value) is None
        ):
            raise ValidationError(
                _("Enter a 5-digit ZIP code, such as 06103 (ZIP+4 is fine)."), code="invalid"
            )
        return value


class ClientUserLookupForm(StaffForm):
    username = forms.CharField(
        label=_("Username"),
        help_text=_("If the caller knows it. Otherwise enter their first and last name."),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={**_OFF, "autocapitalize": "none"}),
    )
    first_name = _name_field(_("First name"), required=False)
    last_name = _name_field(_("Last name"), required=False)
    email = forms.EmailField(
        label=_("Email address on file"),
        max_length=254,
        widget=forms.EmailInput(attrs=_OFF),
    )
    organization = forms.CharField(
        label=_("Organization"),
        help_text=_("The plan sponsor or firm the caller works for, as on their account."),
        max_length=200,
        widget=forms.TextInput(attrs=_OFF),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_name = bool(data.get("first_name", "").strip() and data.get("last_name", "").strip())
        if not data.get("username", "").strip() and not has_name:
            raise ValidationError(
                _("Enter the username, or the caller's first and last name."), code="required"
            )
        return data


class RecordsReasonForm(StaffForm):
    """Why the agent opens the caller's records (GET: the code travels in the address)."""

    reason = forms.ChoiceField(
        label=_("Reason for looking"),
        choices=[("", _("Choose a reason")), *ReasonCode.choices],
    )
