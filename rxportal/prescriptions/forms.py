"""Forms of the refill steps: input shape only (ids are UUIDs, choices are known). Whether the
viewer may refill what they chose is the selectors' and the refill service's job."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rxportal.prescriptions.domain import MAX_LINES_PER_REFILL, Fulfilment

ADDRESS_ON_FILE = "on_file"
_NOT_FOUND = _("We could not find that prescription. Choose from your list.")
ADDRESS_NOT_FOUND = _("That shipping address was not found. Choose one from the list.")
PHARMACY_NOT_IN_NETWORK = _(
    "That pharmacy is not in your plan's network. Choose one from the list."
)


class UUIDListField(forms.Field):
    """Several values of one name (checkboxes, hidden inputs), each a UUID."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _NOT_FOUND}

    def to_python(self, value: Any) -> list[uuid.UUID]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        if len(value) > MAX_LINES_PER_REFILL * 2:
            raise ValidationError(
                _("Choose at most %(count)d prescriptions at a time."),
                code="too_many",
                params={"count": MAX_LINES_PER_REFILL},
            )
        try:
            return [uuid.UUID(str(item)) for item in value]
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class RefillSelectionForm(forms.Form):
    """Step 1, posted from the prescriptions list: whose prescriptions, and which."""

    member = forms.UUIDField(widget=forms.HiddenInput, error_messages={"invalid": _NOT_FOUND})
    prescription = UUIDListField(required=False)


class RefillChoiceForm(RefillSelectionForm):
    """Step 2 input: mail (to the address on file or a saved one) or pick-up at a pharmacy."""

    fulfilment = forms.ChoiceField(
        label=_("How do you want to get your refill?"),
        choices=[
            (Fulfilment.MAIL.value, _("Mail delivery")),
            (Fulfilment.PICKUP.value, _("Pick up at a pharmacy")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose mail delivery or pick-up.")},
    )
    address = forms.CharField(required=False, max_length=40)
    pharmacy = forms.CharField(required=False, max_length=40)

    def clean_address(self) -> uuid.UUID | None:
        value = self.cleaned_data.get("address") or ADDRESS_ON_FILE
        if value == ADDRESS_ON_FILE:
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValidationError(ADDRESS_NOT_FOUND, code="invalid") from None

    def clean_pharmacy(self) -> uuid.UUID | None:
        value = self.cleaned_data.get("pharmacy")
        if not value:
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValidationError(PHARMACY_NOT_IN_NETWORK, code="invalid") from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("fulfilment") == Fulfilment.PICKUP
            and not self.has_error("pharmacy")
            and cleaned.get("pharmacy") is None
        ):
            self.add_error("pharmacy", _("Choose a pharmacy to pick up your refill."))
        if cleaned.get("fulfilment") == Fulfilment.MAIL:
            cleaned["pharmacy"] = None
        else:
            cleaned["address"] = None
        return cleaned


class RefillConfirmForm(RefillChoiceForm):
    """Step 3: the review page's confirm button; the key makes a double submit harmless."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class AutoRefillForm(forms.Form):
    enabled = forms.ChoiceField(choices=[("on", "on"), ("off", "off")])

    @property
    def is_enabling(self) -> bool:
        return self.cleaned_data["enabled"] == "on"
