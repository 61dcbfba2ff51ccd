"""The claims-history filter form (GET): input shape only. Access is the selectors' job."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.claims.domain import (
    FILTER_TEXT_MAX_LENGTH,
    MAX_PERIOD_YEARS,
    ClaimQuery,
    ClaimSort,
    Period,
    SortOrder,
    StatusFilter,
    is_period_too_long,
)
from rxportal.claims.models import ClaimStatus
from rxportal.core import widgets
from rxportal.core.forms import DescribedFieldsMixin
from rxportal.members.models import Member

DATE_FORMAT = "%Y-%m-%d"
_BAD_DATE = _("Enter the date as year-month-day, for example 2026-01-31.")

SORT_CHOICES: list[tuple[str, Any]] = [
    ("date-desc", _("Date, newest first")),
    ("date-asc", _("Date, oldest first")),
    ("drug-asc", _("Drug, A to Z")),
    ("drug-desc", _("Drug, Z to A")),
    ("you_paid-desc", _("You paid, highest first")),
    ("you_paid-asc", _("You paid, lowest first")),
    ("plan_paid-desc", _("Plan paid, highest first")),
    ("plan_paid-asc", _("Plan paid, lowest first")),
]
DEFAULT_SORT = "date-desc"


def sort_value(sort: ClaimSort, order: SortOrder) -> str:
    return f"{sort.value}-{order.value}"


def parse_sort(value: str) -> tuple[ClaimSort, SortOrder]:
    sort, _dash, order = (value or DEFAULT_SORT).partition("-")
    return ClaimSort(sort), SortOrder(order)


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=[DATE_FORMAT],
        widget=widgets.DateInput(format=DATE_FORMAT),
        error_messages={"invalid": _BAD_DATE},
    )


class ClaimFilterForm(DescribedFieldsMixin, forms.Form):
    """Bound to request.GET, so a search is a bookmarkable URL. Build it with the people from
    ``selectors.find_claim_scope`` (the person choices) and the default period (the plan year).

    ``after`` / ``before`` carry the claim public id of the "Older" / "Newer" links; a link
    that cannot be read is dropped (``cursor_was_invalid``), and the first page is shown.
    """

    person = forms.ChoiceField(
        label=_("Person"),
        required=False,
        widget=widgets.Select,
        error_messages={
            "invalid_choice": _(
                "Choose someone from the list: that person is not one whose claims you can see."
            )
        },
    )
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))
    drug = forms.CharField(
        label=_("Drug"),
        help_text=_("All or part of the name, for example atorvastatin."),
        max_length=FILTER_TEXT_MAX_LENGTH,
        required=False,
        widget=widgets.TextInput,
        error_messages={"max_length": _("Enter at most %(limit_value)d characters.")},
    )
    pharmacy = forms.CharField(
        label=_("Pharmacy"),
        help_text=_("All or part of the pharmacy's name."),
        max_length=FILTER_TEXT_MAX_LENGTH,
        required=False,
        widget=widgets.TextInput,
        error_messages={"max_length": _("Enter at most %(limit_value)d characters.")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *ClaimStatus.choices],
        required=False,
        widget=widgets.Select,
        error_messages={"invalid_choice": _("Choose paid, reversed or rejected.")},
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=SORT_CHOICES,
        required=False,
        widget=widgets.Select,
        error_messages={"invalid_choice": _("Choose an order from the list.")},
    )
    after = forms.CharField(required=False, widget=widgets.HiddenInput)
    before = forms.CharField(required=False, widget=widgets.HiddenInput)

    def __init__(
        self, data: Any, *, people: Sequence[Member], default_period: Period, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.default_period = default_period
        self.cursor_was_invalid = False
        person = self.fields["person"]
        assert isinstance(person, forms.ChoiceField)
        person.choices = [("", _("Everyone")), *((str(p.public_id), p.full_name) for p in people)]

    def clean_drug(self) -> str:
        return " ".join(str(self.cleaned_data.get("drug") or "").split())

    def clean_pharmacy(self) -> str:
        return " ".join(str(self.cleaned_data.get("pharmacy") or "").split())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._clean_period(cleaned)
        after = self._read_cursor(cleaned.get("after"))
        before = self._read_cursor(cleaned.get("before"))
        if after is not None and before is not None:
            after = before = None
            self.cursor_was_invalid = True
        cleaned["after"], cleaned["before"] = after, before
        return cleaned

    def _clean_period(self, cleaned: dict[str, Any]) -> None:
        if self.has_error("date_from") or self.has_error("date_to"):
            return
        start: dt.date | None = cleaned.get("date_from")
        end: dt.date | None = cleaned.get("date_to")
        default = self.default_period
        if start is None:
            start = (
                dt.date(end.year, 1, 1)
                if end is not None and end < default.start
                else default.start
            )
        if end is None:
            end = default.end if start <= default.end else dt.date(start.year, 12, 31)
        if start > end:
            self.add_error("date_to", _("The end date is before the start date."))
            return
        if is_period_too_long(Period(start=start, end=end)):
            self.add_error(
                "date_from",
                _("Choose a period of at most %(years)d years.") % {"years": MAX_PERIOD_YEARS},
            )
            return
        cleaned["date_from"], cleaned["date_to"] = start, end
        # Show the dates in effect (the plan year by default) in the date inputs.
        shown = dict(self.data.items())
        shown["date_from"], shown["date_to"] = start.isoformat(), end.isoformat()
        self.data = shown

    def _read_cursor(self, raw: str | None) -> uuid.UUID | None:
        if not raw:
            return None
        try:
            return uuid.UUID(raw)
        except ValueError:
            self.cursor_was_invalid = True
            return None

    def summary_errors(self) -> list[str]:
        return [str(error) for error in self.non_field_errors()]

    def to_query(self) -> ClaimQuery:
        data = self.cleaned_data
        sort, order = parse_sort(data.get("sort") or DEFAULT_SORT)
        return ClaimQuery(
            period=Period(start=data["date_from"], end=data["date_to"]),
            person=data.get("person") or "",
            drug=data.get("drug") or "",
            pharmacy=data.get("pharmacy") or "",
            status=StatusFilter(data["status"]) if data.get("status") else None,
            sort=sort,
            order=order,
        )

    @property
    def after_cursor(self) -> uuid.UUID | None:
        return self.cleaned_data.get("after")  # type: ignore[no-any-return]

    @property
    def before_cursor(self) -> uuid.UUID | None:
        return self.cleaned_data.get("before")  # type: ignore[no-any-return]

    def query_string(
        self,
        *,
        after: uuid.UUID | None = None,
        before: uuid.UUID | None = None,
        sort: str | None = None,
    ) -> str:
        """The search as GET parameters (defaults left out), for page, sort and export links."""
        query = self.to_query()
        params: list[tuple[str, str]] = []
        if query.person:
            params.append(("person", query.person))
        if query.period != self.default_period:
            params.append(("date_from", query.period.start.isoformat()))
            params.append(("date_to", query.period.end.isoformat()))
        if query.drug:
            params.append(("drug", query.drug))
        if query.pharmacy:
            params.append(("pharmacy", query.pharmacy))
        if query.status is not None:
            params.append(("status", query.status.value))
        chosen_sort = sort or sort_value(query.sort, query.order)
        if chosen_sort != DEFAULT_SORT:
            params.append(("sort", chosen_sort))
        if after is not None:
            params.append(("after", str(after)))
        if before is not None:
            params.append(("before", str(before)))
        return urlencode(params)
