"""Forms of the orders pages: they check the shape of input; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.orders import domain
from rxportal.orders.models import CancelReason


class OrderFilterForm(forms.Form):
    """The list's filter (GET). Anything unexpected falls back to all orders."""

    OPEN = "open"
    ALL = "all"

    show = forms.ChoiceField(
        label=_("Show"),
        choices=[(ALL, _("All orders")), (OPEN, _("Open orders only"))],
        required=False,
        widget=forms.RadioSelect,
    )

    @property
    def only_open(self) -> bool:
        return self.is_valid() and self.cleaned_data.get("show") == self.OPEN


class CancelOrderForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you cancelling?"),
        choices=[("", _("Choose a reason")), *CancelReason.choices],
        error_messages={"required": _("Choose why you are cancelling this order.")},
    )


class _DescribedForm(forms.Form):
    """Ties each control to its hint and error with aria-describedby, and marks invalid ones."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_hint"

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field in self.fields:
            widget = self.fields[field].widget
            widget.attrs["aria-invalid"] = "true"
            described = widget.attrs.get("aria-describedby", "")
            if f"id_{field}_error" not in described:
                widget.attrs["aria-describedby"] = f"{described} id_{field}_error".strip()


class ShippingAddressForm(_DescribedForm):
    label = forms.CharField(
        label=_("Label (optional)"),
        help_text=_("For example Home or Work."),
        max_length=40,
        required=False,
    )
    name = forms.CharField(
        label=_("Recipient name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Enter the name of the person receiving the order.")},
    )
    line1 = forms.CharField(
        label=_("Address line 1"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
        error_messages={"required": _("Enter the street address.")},
    )
    line2 = forms.CharField(
        label=_("Address line 2 (optional)"),
        help_text=_("Apartment, suite or unit."),
        max_length=90,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        error_messages={"required": _("Enter the city.")},
    )
    state = forms.CharField(
        label=_("State"),
        help_text=_("Two letters, for example CT."),
        max_length=2,
        widget=forms.TextInput(
            attrs={"autocomplete": "address-level1", "size": "3", "autocapitalize": "characters"}
        ),
        error_messages={
            "required": _("Enter the state as its two-letter code, for example CT."),
            "max_length": _("Enter the state as its two-letter code, for example CT."),
        },
    )
    zip_code = forms.CharField(
        label=_("ZIP code"),
        help_text=_("5 digits, or ZIP+4 like 06103-1234."),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "inputmode": "numeric", "size": "11"}
        ),
        error_messages={
            "required": _("Enter the ZIP code."),
            "max_length": _("Enter a 5-digit ZIP code, or ZIP+4 like 06103-1234."),
        },
    )
    make_default = forms.BooleanField(
        label=_("Use this address for my mail orders from now on"), required=False
    )

    def clean_state(self) -> str:
        state = domain.normalize_state(self.cleaned_data["state"])
        if state is None:
            raise forms.ValidationError(
                _("Enter the state as its two-letter code, for example CT.")
            )
        return state

    def clean_zip_code(self) -> str:
        zip_code = domain.normalize_zip(self.cleaned_data["zip_code"])
        if zip_code is None:
            raise forms.ValidationError(_("Enter a 5-digit ZIP code, or ZIP+4 like 06103-1234."))
        return zip_code
