"""The consent form: django-oauth-toolkit's hidden request fields, Allow or Deny, and whose
records the app opens (SMART ``launch/patient``) when the member may choose."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from oauth2_provider.forms import AllowForm


class ConsentForm(AllowForm):
    patient = forms.CharField(required=False, widget=forms.HiddenInput())

    def offer_patients(self, choices: list[tuple[str, str]], *, default: str) -> None:
        """Turn the patient field into a radio list of these (public id, name) choices."""
        self.fields["patient"] = forms.ChoiceField(
            label=_("Whose records may the app open?"),
            choices=choices,
            initial=default,
            required=False,
            widget=forms.RadioSelect,
        )
