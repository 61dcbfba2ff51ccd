"""Reading FHIR search parameters: date prefixes (``ge2024-01-01``), ``_count``, the paging
cursor, and which parameters a search knows (unknown ones are an error unless the client asked
``Prefer: handling=lenient``). The views turn ``SearchError`` into a 400 OperationOutcome."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

# Parameters every search accepts (the result format, the page size, our page cursor).
COMMON_PARAMS = frozenset({"_format", "_count", "_cursor"})
CURSOR_PARAM = "_cursor"
DEFAULT_COUNT = 25
MAX_COUNT = 100

_DATE = re.compile(r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2}))?)?$")
_PREFIXES = ("eq", "ge", "gt", "le", "lt")


class SearchError(ValueError):
    """A search the server cannot answer: the message becomes the OperationOutcome diagnostics."""


@dataclass(frozen=True)
class DateBounds:
    """``start <= value < before``; None leaves that side open."""

    start: dt.datetime | None = None
    before: dt.datetime | None = None

    def narrowed(self, other: DateBounds) -> DateBounds:
        starts = [bound for bound in (self.start, other.start) if bound is not None]
        befores = [bound for bound in (self.before, other.before) if bound is not None]
        return DateBounds(
            start=max(starts) if starts else None, before=min(befores) if befores else None
        )

    @property
    def start_date(self) -> dt.date | None:
        return None if self.start is None else timezone.localtime(self.start).date()

    @property
    def before_date(self) -> dt.date | None:
        """The first date not wanted: a bound inside a day still wants that day."""
        if self.before is None:
            return None
        local = timezone.localtime(self.before)
        return local.date() if local.time() == dt.time(0) else local.date() + dt.timedelta(1)


def unknown_params(request: HttpRequest, known: Collection[str]) -> list[str]:
    """The query's parameter names (modifiers such as ``:exact`` included) this search does not
    know; empty when the client asked for lenient handling."""
    if "handling=lenient" in request.headers.get("Prefer", "").replace(" ", ""):
        return []
    allowed = COMMON_PARAMS | set(known)
    return sorted(name for name in request.GET if name not in allowed)


def parse_date_params(values: Iterable[str], *, name: str) -> DateBounds:
    """Every value of one date parameter, ANDed (``ge2024-01-01&…=lt2024-07-01``)."""
    bounds = DateBounds()
    for value in values:
        bounds = bounds.narrowed(_parse_date_param(value, name=name))
    return bounds


def _parse_date_param(value: str, *, name: str) -> DateBounds:
    """One value's bounds; a value at the calendar's ends whose bounds cannot be moved into a
    day or a time zone (year 1 ahead of UTC, the last day of 9999) is refused, not a crash."""
    try:
        bounds = _date_bounds(value, name=name)
        for moment in (bounds.start, bounds.before):
            if moment is not None:
                moment.astimezone(dt.UTC)  # what the database is asked
        _ = bounds.start_date, bounds.before_date  # what a search by day is asked
    except OverflowError as error:
        raise SearchError(
            f"{name}: {value!r} is outside the dates this server searches."
        ) from error
    return bounds


def _date_bounds(value: str, *, name: str) -> DateBounds:
    prefix = value[:2] if value[:2] in _PREFIXES else "eq"
    text = value[2:] if value[:2] in _PREFIXES else value
    if value[:2].isalpha() and value[:2] not in _PREFIXES:
        raise SearchError(f"{name}: the prefix {value[:2]!r} is not supported here.")
    start, end = _interval(text, name=name)
    if prefix == "eq":
        return DateBounds(start=start, before=end)
    if prefix == "ge":
        return DateBounds(start=start)
    if prefix == "gt":
        return DateBounds(start=end)
    if prefix == "lt":
        return DateBounds(before=start)
    return DateBounds(before=end)  # le


def _interval(text: str, *, name: str) -> tuple[dt.datetime, dt.datetime]:
    """The span a FHIR date or dateTime names: a year, a month, a day, or one instant."""
    match = _DATE.match(text)
    if match:
        year = int(match["year"])
        month = int(match["month"] or 1)
        day = int(match["day"] or 1)
        try:
            start = dt.date(year, month, day)
        except ValueError as error:
            raise SearchError(f"{name}: {text!r} is not a date.") from error
        if match["day"]:
            end = start + dt.timedelta(days=1)
        elif match["month"]:
            end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        else:
            end = start.replace(year=year + 1) if year < dt.MAXYEAR else dt.date.max
        return _local_midnight(start), _local_midnight(end)
    try:
        instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise SearchError(f"{name}: {text!r} is not a date or dateTime.") from error
    if timezone.is_naive(instant):
        raise SearchError(f"{name}: a time needs a time zone (for example Z).")
    return instant, instant + dt.timedelta(microseconds=1)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0)))


def parse_count(request: HttpRequest) -> int:
    """``_count``: a whole number from 1; more than 100 is served as pages of 100 (FHIR lets a
    server page smaller than asked), as the public searches do."""
    raw = request.GET.get("_count", "")
    if not raw:
        return DEFAULT_COUNT
    # ASCII digits only: "²".isdigit() is true and int() refuses it; 6 digits is plenty.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        raise SearchError("_count: a whole number from 1 (pages hold at most 100).")
    return min(int(raw), MAX_COUNT)


def parse_cursor(request: HttpRequest) -> uuid.UUID | None:
    raw = request.GET.get(CURSOR_PARAM, "")
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError as error:
        raise SearchError("_cursor: that page link is not valid.") from error


def reference_id(value: str, *, resource_type: str) -> str:
    """The id in a reference parameter: ``Patient/<id>``, a full URL ending so, or a bare id."""
    head, _, tail = value.rstrip("/").rpartition("/")
    if head and not head.endswith(resource_type):
        return ""  # a reference to some other type matches nothing
    return tail
