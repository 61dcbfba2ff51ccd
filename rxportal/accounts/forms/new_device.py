"""The new-device check's form: the emailed or texted code (``accounts.flows.new_device``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.accounts.forms.common import CODE_MAX_LENGTH, AccessibleErrorsMixin


class OneTimeCodeForm(AccessibleErrorsMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        help_text=_("Six digits. It works for 10 minutes, once."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe_fields()
