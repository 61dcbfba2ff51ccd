"""The pharmacy finder's GET form: input shape only (lengths, ranges, choices)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rxportal.core.forms import DescribedFieldsMixin
from rxportal.pharmacies.domain import (
    DEFAULT_RADIUS_MILES,
    LOCATION_INPUT_MAX_LENGTH,
    RADIUS_CHOICES_MILES,
    PharmacyKind,
)
from rxportal.pharmacies.selectors import MAX_PAGE

# Coordinates from the browser are kept to 2 decimals (about half a mile): enough for a
# pharmacy search, and a bookmarked or logged URL does not pinpoint anyone's home.
COORDINATE_DECIMALS = 2
_LOCATION_UNREADABLE = _("We could not read your location. Search by ZIP code or city instead.")
_COORDINATE_ERRORS = {
    "invalid": _LOCATION_UNREADABLE,
    "min_value": _LOCATION_UNREADABLE,
    "max_value": _LOCATION_UNREADABLE,
}
_BAD_PAGE = _("That page number is not valid. Start again from the first page.")


class PharmacySearchForm(DescribedFieldsMixin, forms.Form):
    """Bound to request.GET, so every search is a bookmarkable URL (a ZIP, never PHI)."""

    location = forms.CharField(
        label=_("ZIP code, or city and state"),
        help_text=_(
            "For example 06103, or Hartford, CT. We cannot look up street addresses: "
            "a ZIP code or city in the address is used."
        ),
        max_length=LOCATION_INPUT_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": _("Enter at most %(limit_value)d characters: a ZIP code or a city.")
        },
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "text"}),
    )
    lat = forms.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.HiddenInput,
        error_messages=_COORDINATE_ERRORS,
    )
    lon = forms.FloatField(
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.HiddenInput,
        error_messages=_COORDINATE_ERRORS,
    )
    radius = forms.TypedChoiceField(
        label=_("Distance"),
        choices=[(miles, str(miles)) for miles in RADIUS_CHOICES_MILES],  # labels: __init__
        coerce=int,
        required=False,
        empty_value=None,
        initial=DEFAULT_RADIUS_MILES,
        error_messages={
            "invalid_choice": _("Choose a distance of 1, 5, 10, 25 or 50 miles."),
        },
    )
    open_24_hours = forms.BooleanField(label=_("Open 24 hours"), required=False)
    preferred = forms.BooleanField(label=_("Preferred pharmacies in my plan"), required=False)
    kind = forms.TypedMultipleChoiceField(
        label=_("Type of pharmacy"),
        choices=[
            (PharmacyKind.RETAIL.value, _("Retail (walk in)")),
            (PharmacyKind.MAIL.value, _("Mail order")),
            (PharmacyKind.SPECIALTY.value, _("Specialty")),
        ],
        coerce=PharmacyKind,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose retail, mail order or specialty.")},
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        widget=forms.HiddenInput,
        error_messages={"invalid": _BAD_PAGE, "min_value": _BAD_PAGE, "max_value": _BAD_PAGE},
    )

    # Shown in the error summary: a field's own error sits next to the field.
    FIELD_NAMES_IN_SUMMARY = ("lat", "lon", "page")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels in the visitor's language (a lazy ngettext cannot be formatted at import).
        radius = cast(forms.TypedChoiceField, self.fields["radius"])
        radius.choices = [
            (
                miles,
                ngettext("Within %(miles)d mile", "Within %(miles)d miles", miles)
                % {"miles": miles},
            )
            for miles in RADIUS_CHOICES_MILES
        ]

    def clean_location(self) -> str:
        return " ".join(str(self.cleaned_data.get("location") or "").split())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        latitude, longitude = cleaned.get("lat"), cleaned.get("lon")
        for name, value in (("lat", latitude), ("lon", longitude)):
            if value is not None:
                cleaned[name] = round(value, COORDINATE_DECIMALS)
        uses_text = bool(cleaned.get("location"))
        unreadable = self.has_error("lat") or self.has_error("lon")
        if not uses_text and not unreadable and not self.has_error("location"):
            if (latitude is None) != (longitude is None):
                self.add_error("lat", _LOCATION_UNREADABLE)
            elif latitude is None:
                self.add_error(
                    "location", _("Enter a ZIP code or a city and state, or use your location.")
                )
        if cleaned.get("radius") is None:
            cleaned["radius"] = DEFAULT_RADIUS_MILES
        if cleaned.get("page") is None:
            cleaned["page"] = 1
        return cleaned

    @property
    def uses_coordinates(self) -> bool:
        return self.is_valid() and not self.cleaned_data["location"]

    def summary_errors(self) -> list[str]:
        """Errors of fields the visitor cannot see (coordinates, page number)."""
        return [
            str(error)
            for name in self.FIELD_NAMES_IN_SUMMARY
            for error in self.errors.get(name, [])
        ]

    def query_string(self, *, page: int) -> str:
        """The search as GET parameters, for the previous and next page links."""
        data = self.cleaned_data
        params: list[tuple[str, str | int | float]] = []
        if data["location"]:
            params.append(("location", data["location"]))
        else:
            params += [("lat", data["lat"]), ("lon", data["lon"])]
        params.append(("radius", data["radius"]))
        if data.get("open_24_hours"):
            params.append(("open_24_hours", "on"))
        if data.get("preferred"):
            params.append(("preferred", "on"))
        params += [("kind", kind.value) for kind in data.get("kind") or ()]
        if page > 1:
            params.append(("page", page))
        return urlencode(params)
