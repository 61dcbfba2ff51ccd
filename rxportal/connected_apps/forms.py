"""The consent form: django-oauth-toolkit's hidden request fields, Allow or Deny, and whose
records the app opens (SMART ``launch/patient``) when the member may choose; and the name check
of registering an app (``register_connected_app``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from oauth2_provider.forms import AllowForm

from rxportal.connected_apps.services import is_app_name_taken


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


class AppNameForm(forms.Form):
    """An app's name as members will see it on the consent screen: unique once normalised."""

    name = forms.CharField(label=_("App name"), max_length=255, strip=True)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if is_app_name_taken(name):
            raise forms.ValidationError(
                _(
                    "Another app already has this name. Names that differ only in capitals, "
                    "character width or spaces count as the same, because members could not "
                    "tell them apart on the consent screen."
                ),
                code="name_taken",
            )
        return name
