"""The drug search's GET form: input shape only (present, long enough, not too long)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.core.forms import DescribedFieldsMixin
from rxportal.formulary import domain

_TOO_SHORT = _("Enter at least %(count)d letters of the drug's name.")


class DrugSearchForm(DescribedFieldsMixin, forms.Form):
    """Bound to request.GET (`?q=`): every search is a bookmarkable URL."""

    q = forms.CharField(
        label=_("Drug name"),
        help_text=_("A brand or generic name, for example Lipitor or atorvastatin."),
        max_length=domain.SEARCH_QUERY_MAX_CHARS,
        error_messages={
            "required": _("Enter the name of a drug to search for."),
            "max_length": _("Enter at most %(limit_value)d characters: a drug's name is shorter."),
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
                "enterkeyhint": "search",
            }
        ),
    )

    def clean_q(self) -> str:
        text = " ".join(str(self.cleaned_data.get("q") or "").split())
        if len(domain.normalize_search_text(text)) < domain.SEARCH_QUERY_MIN_CHARS:
            raise forms.ValidationError(
                _TOO_SHORT, code="too_short", params={"count": domain.SEARCH_QUERY_MIN_CHARS}
            )
        return text
