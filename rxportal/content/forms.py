"""The list pages' search and filter form (GET): input shape only; selectors apply it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.content.domain import HelpAudienceCode
from rxportal.content.selectors import SectionFilters
from rxportal.core.forms import DescribedFieldsMixin

QUERY_MAX_LENGTH = 100


class SectionFilterForm(DescribedFieldsMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=QUERY_MAX_LENGTH)
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)

    def __init__(
        self,
        *args: Any,
        years: Sequence[int],
        topics: Sequence[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        topic = cast(forms.ChoiceField, self.fields["topic"])
        topic.choices = [("", _("All topics")), *topics]
        year = cast(forms.TypedChoiceField, self.fields["year"])
        year.choices = [("", _("All years")), *((y, str(y)) for y in years)]

    def filters(self) -> SectionFilters:
        data = self.cleaned_data
        return SectionFilters(query=data["q"].strip(), topic=data["topic"] or "", year=data["year"])


class HelpSearchForm(DescribedFieldsMixin, forms.Form):
    """The help center's search and audience filter (GET)."""

    q = forms.CharField(label=_("Search the help center"), required=False, max_length=100)
    audience = forms.ChoiceField(
        label=_("Show help for"),
        required=False,
        choices=[
            ("", _("Everyone")),
            (HelpAudienceCode.MEMBERS, _("Members")),
            (HelpAudienceCode.CLIENTS, _("Clients and advisors")),
        ],
    )
