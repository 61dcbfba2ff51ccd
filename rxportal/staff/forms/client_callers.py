"""A client or advisor who calls: find their one account from what they state."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rxportal.staff.forms.common import NO_AUTOFILL, StaffForm, name_field


class ClientUserLookupForm(StaffForm):
    username = forms.CharField(
        label=_("Username"),
        help_text=_("If the caller knows it. Otherwise enter their first and last name."),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={**NO_AUTOFILL, "autocapitalize": "none"}),
    )
    first_name = name_field(_("First name"), required=False)
    last_name = name_field(_("Last name"), required=False)
    email = forms.EmailField(
        label=_("Email address on file"),
        max_length=254,
        widget=forms.EmailInput(attrs=NO_AUTOFILL),
    )
    # What the caller says now, matched against their verified links (or, with none yet, the
    # organization they claimed at sign-up).
    organization = forms.CharField(
        label=_("Organization"),
        help_text=_("The plan sponsor or firm the caller works for, as on their account."),
        max_length=200,
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_name = bool(data.get("first_name", "").strip() and data.get("last_name", "").strip())
        if not data.get("username", "").strip() and not has_name:
            raise ValidationError(
                _("Enter the username, or the caller's first and last name."), code="required"
            )
        return data
