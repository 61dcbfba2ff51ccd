"""FHIR date search prefixes as bounds (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rxportal.fhir.search import SearchError, parse_date_params, reference_id


def _dates(*values: str) -> tuple[dt.date | None, dt.date | None]:
    bounds = parse_date_params(values, name="service-date")
    return bounds.start_date, bounds.before_date


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("2025-03-10",), (dt.date(2025, 3, 10), dt.date(2025, 3, 11))),
        (("eq2025-02",), (dt.date(2025, 2, 1), dt.date(2025, 3, 1))),
        (("2025-12",), (dt.date(2025, 12, 1), dt.date(2026, 1, 1))),
        (("2024",), (dt.date(2024, 1, 1), dt.date(2025, 1, 1))),
        (("ge2025-03-10",), (dt.date(2025, 3, 10), None)),
        (("gt2025-03-10",), (dt.date(2025, 3, 11), None)),
        (("le2025-03-10",), (None, dt.date(2025, 3, 11))),
        (("lt2025-03-10",), (None, dt.date(2025, 3, 10))),
        (
            ("ge2025-01-01", "lt2025-07-01", "ge2025-03-01"),
            (dt.date(2025, 3, 1), dt.date(2025, 7, 1)),
        ),
    ],
)
def test_date_prefixes_become_half_open_bounds(
    values: tuple[str, ...], expected: tuple[dt.date | None, dt.date | None]
) -> None:
    assert _dates(*values) == expected


def test_an_instant_inside_a_day_still_wants_that_day() -> None:
    bounds = parse_date_params(["lt2025-03-10T12:00:00+00:00"], name="_lastUpdated")
    assert bounds.before == dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
    assert bounds.before_date == timezone.localtime(bounds.before).date() + dt.timedelta(days=1)


@pytest.mark.parametrize(
    "value", ["ne2025-01-01", "sa2025-01-01", "2025-02-30", "2025-03-10T10:00", "soon", "ge"]
)
def test_unsupported_or_malformed_dates_are_refused(value: str) -> None:
    with pytest.raises(SearchError):
        parse_date_params([value], name="service-date")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        ("Patient/abc", "abc"),
        ("https://example.org/fhir/R4/Patient/abc", "abc"),
        ("Group/abc", ""),
    ],
)
def test_reference_params(value: str, expected: str) -> None:
    assert reference_id(value, resource_type="Patient") == expected


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59+14:00",
        "le9999-12-31T23:59:59+14:00",
        "9999-12-31T23:59:59.999999Z",
        "gt9999-12-31T23:59:59.999999Z",
        "0001-01-01T00:00:00+14:00",
        "ge0001-01-01T00:00:00+14:00",
        "9999-12-31",
        "9999-12",
        "gt9999-12-31",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_bounds_or_refused_never_a_crash(
    value: str,
) -> None:
    """A date or instant at the calendar's ends (year 1, year 9999) is a 400 or a bound, not
    an OverflowError (a 500) when the bound is moved a microsecond or into a day."""
    for name in ("service-date", "_lastUpdated"):
        try:
            bounds = parse_date_params([value], name=name)
            _ = bounds.start_date, bounds.before_date
        except SearchError:
            pass
