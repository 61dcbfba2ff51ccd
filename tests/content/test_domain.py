"""Audiences and the webinar calendar file: pure functions, no database."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from rxportal.content.domain import CalendarEvent, compute_audiences, compute_ics, is_visible

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("role", "is_editor", "expected"),
    [
        ("client", False, {"clients", "both"}),
        ("advisor", False, {"advisors", "both"}),
        ("member", False, set()),
        ("service_center", False, set()),
        ("account_team", False, set()),
        ("account_team", True, {"clients", "advisors", "both"}),
    ],
)
def test_audiences_follow_role_and_editor_permission(role, is_editor, expected) -> None:
    assert compute_audiences(role=role, is_editor=is_editor) == expected


def test_a_client_sees_client_and_shared_items_only() -> None:
    audiences = compute_audiences(role="client", is_editor=False)
    assert is_visible(audience="clients", audiences=audiences)
    assert is_visible(audience="both", audiences=audiences)
    assert not is_visible(audience="advisors", audiences=audiences)


def _event(**overrides) -> CalendarEvent:
    values = {
        "uid": "webinar-1234@rxportal",
        "title": "Specialty outlook; Q&A, live",
        "description": "Line one\nLine two",
        "url": "https://portal.example.org/hub/webinars/specialty/",
        "starts_at": dt.datetime(2026, 3, 10, 13, 0, tzinfo=NEW_YORK),
        "ends_at": dt.datetime(2026, 3, 10, 14, 0, tzinfo=NEW_YORK),
    }
    return CalendarEvent(**{**values, **overrides})


def test_ics_is_rfc5545_with_utc_times_uid_dtstamp_and_crlf() -> None:
    now = dt.datetime(2026, 2, 1, 9, 30, 15, tzinfo=dt.UTC)
    ics = compute_ics(event=_event(), now=now)

    assert ics.endswith("\r\n")
    assert "\n" not in ics.replace("\r\n", "")  # every line ends with CRLF, no bare LF
    lines = ics.split("\r\n")[:-1]
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    assert "UID:webinar-1234@rxportal" in lines
    assert "DTSTAMP:20260201T093015Z" in lines
    # 13:00 in New York on 10 March 2026 (EDT, UTC-4, after the 8 March change) is 17:00 UTC.
    assert "DTSTART:20260310T170000Z" in lines
    assert "DTEND:20260310T180000Z" in lines
    assert "SUMMARY:Specialty outlook\\; Q&A\\, live" in lines
    assert "DESCRIPTION:Line one\\nLine two" in lines
    assert lines.index("BEGIN:VEVENT") < lines.index("END:VEVENT")


def test_ics_folds_long_lines_at_75_octets() -> None:
    ics = compute_ics(
        event=_event(description="Sesión en español " * 10), now=dt.datetime.now(dt.UTC)
    )
    for line in ics.split("\r\n"):
        assert len(line.encode()) <= 75
    unfolded = ics.replace("\r\n ", "")
    assert "DESCRIPTION:" + "Sesión en español " * 10 in unfolded.replace("\\,", ",")


def test_ics_refuses_naive_times_and_events_that_end_before_they_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_ics(
            event=_event(
                starts_at=dt.datetime(2026, 3, 10, 13, 0), ends_at=dt.datetime(2026, 3, 10, 14, 0)
            ),
            now=dt.datetime.now(dt.UTC),
        )
    with pytest.raises(ValueError, match="end after"):
        compute_ics(
            event=_event(ends_at=dt.datetime(2026, 3, 10, 12, 0, tzinfo=NEW_YORK)),
            now=dt.datetime.now(dt.UTC),
        )
