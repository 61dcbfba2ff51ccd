"""What every staff console form shares: the error wiring, the reason field, names, dates."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rxportal.core.errors import DomainError
from rxportal.core.forms import DescribedFieldsMixin
from rxportal.members.selectors import normalize_zip5
from rxportal.staff.services.common import REASON_MAX_LENGTH

ZIP_INPUT_MAX_LENGTH = 20
NAME_MAX_LENGTH = 100
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"]
# What a caller states is typed by the agent: no autofill from the agent's own browser.
NO_AUTOFILL = {"autocomplete": "off", "spellcheck": "false"}


class StaffForm(DescribedFieldsMixin, forms.Form):
    """Ties each field to its hint and error; shows a service's error next to its field."""

    def add_domain_error(self, error: DomainError, *, fields: dict[str, str]) -> bool:
        """Show a service's error next to the field it concerns (``fields`` maps an error-code
        prefix to a field name). False when it concerns no field: the caller shows it instead."""
        field = next(
            (name for prefix, name in fields.items() if error.code.startswith(prefix)), None
        )
        if field is None:
            return False
        self.add_error(field, error.message)
        self.describe_fields()
        return True


def reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        help_text=_(
            "Why you are doing this, for the audit trail (for example, the call or ticket). "
            "At most 500 characters."
        ),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def name_field(label: Any, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=NAME_MAX_LENGTH,
        required=required,
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )


def date_of_birth_field() -> forms.DateField:
    return forms.DateField(
        label=_("Date of birth"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "off"}, format="%Y-%m-%d"),
    )


def zip_code_field() -> forms.CharField:
    return forms.CharField(
        label=_("ZIP code"),
        help_text=_("Five digits; ZIP+4 is fine."),
        max_length=ZIP_INPUT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


def clean_zip_input(value: str) -> str:
    """Digits, spaces and dashes making a ZIP or ZIP+4; the typed value is kept."""
    if not re.fullmatch(r"[0-9 \-]+", unicodedata.normalize("NFKC", value)) or (
        normalize_zip5(value) is None
    ):
        raise ValidationError(
            _("Enter a 5-digit ZIP code, such as 06103 (ZIP+4 is fine)."), code="invalid"
        )
    return value


class ReasonForm(StaffForm):
    """Unlock an account, send a username reminder, reset challenge questions: the reason."""

    reason = reason_field()
