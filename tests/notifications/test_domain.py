"""Pure rules: quiet hours for texts (across midnight, in the person's time zone, over a
daylight-saving change) and which channels a kind goes by after a person's choices."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from rxportal.notifications import domain

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")


def at(zone: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("local", "start", "end", "quiet"),
    [
        (dt.time(23, 0), dt.time(22, 0), dt.time(7, 0), True),
        (dt.time(2, 30), dt.time(22, 0), dt.time(7, 0), True),
        (dt.time(22, 0), dt.time(22, 0), dt.time(7, 0), True),  # start included
        (dt.time(7, 0), dt.time(22, 0), dt.time(7, 0), False),  # end excluded
        (dt.time(12, 0), dt.time(22, 0), dt.time(7, 0), False),
        (dt.time(13, 0), dt.time(12, 0), dt.time(14, 0), True),  # a nap, same day
        (dt.time(14, 0), dt.time(12, 0), dt.time(14, 0), False),
        (dt.time(11, 59), dt.time(12, 0), dt.time(14, 0), False),
        (dt.time(3, 0), dt.time(8, 0), dt.time(8, 0), False),  # same start and end: none
    ],
)
def test_is_in_quiet_hours(local: dt.time, start: dt.time, end: dt.time, quiet: bool) -> None:
    assert domain.is_in_quiet_hours(local, start, end) is quiet


def test_a_text_late_in_the_evening_waits_until_the_next_morning() -> None:
    moment = at(NY, 2026, 3, 2, 23, 15)
    wake = domain.end_of_quiet_hours(
        moment, start=dt.time(22), end=dt.time(7), time_zone="America/New_York"
    )
    assert wake == at(NY, 2026, 3, 3, 7, 0)


def test_a_text_after_midnight_waits_until_the_same_morning() -> None:
    moment = at(NY, 2026, 3, 3, 1, 30)
    wake = domain.end_of_quiet_hours(
        moment, start=dt.time(22), end=dt.time(7), time_zone="America/New_York"
    )
    assert wake == at(NY, 2026, 3, 3, 7, 0)


def test_a_text_outside_quiet_hours_goes_now() -> None:
    moment = at(NY, 2026, 3, 3, 12, 0)
    assert (
        domain.end_of_quiet_hours(
            moment, start=dt.time(22), end=dt.time(7), time_zone="America/New_York"
        )
        is None
    )


def test_no_quiet_hours_means_now() -> None:
    moment = at(NY, 2026, 3, 3, 3, 0)
    assert domain.end_of_quiet_hours(moment, start=None, end=None, time_zone="UTC") is None


def test_quiet_hours_are_the_persons_local_time_not_the_servers() -> None:
    # 23:30 in New York is 20:30 in Los Angeles: not quiet there yet.
    moment = at(NY, 2026, 6, 1, 23, 30)
    assert (
        domain.end_of_quiet_hours(
            moment, start=dt.time(22), end=dt.time(7), time_zone="America/Los_Angeles"
        )
        is None
    )
    # 07:30 in New York is 04:30 in Los Angeles: quiet until 07:00 there (10:00 in New York).
    morning = at(NY, 2026, 6, 2, 7, 30)
    wake = domain.end_of_quiet_hours(
        morning, start=dt.time(22), end=dt.time(7), time_zone="America/Los_Angeles"
    )
    assert wake == at(LA, 2026, 6, 2, 7, 0)
    assert wake is not None and wake.astimezone(NY).hour == 10


def test_a_utc_moment_is_read_in_the_persons_zone() -> None:
    moment = dt.datetime(2026, 1, 10, 4, 0, tzinfo=dt.UTC)  # 23:00 in New York, Jan 9
    wake = domain.end_of_quiet_hours(
        moment, start=dt.time(22), end=dt.time(7), time_zone="America/New_York"
    )
    assert wake == at(NY, 2026, 1, 10, 7, 0)
    assert wake is not None and wake.astimezone(dt.UTC) == dt.datetime(
        2026, 1, 10, 12, tzinfo=dt.UTC
    )


def test_quiet_hours_across_the_spring_daylight_saving_change() -> None:
    # The night of March 7-8, 2026 loses an hour in New York: 07:00 EDT is 11:00 UTC.
    moment = at(NY, 2026, 3, 7, 23, 0)
    wake = domain.end_of_quiet_hours(
        moment, start=dt.time(22), end=dt.time(7), time_zone="America/New_York"
    )
    assert wake is not None
    assert wake.astimezone(dt.UTC) == dt.datetime(2026, 3, 8, 11, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("optional", "choices", "reachable", "expected"),
    [
        (True, {}, {"email", "sms", "inbox"}, ["email", "inbox"]),
        (True, {"email": False}, {"email", "sms", "inbox"}, ["inbox"]),
        (True, {"sms": True}, {"email", "sms", "inbox"}, ["email", "sms", "inbox"]),
        (True, {"sms": True}, {"email", "inbox"}, ["email", "inbox"]),  # no confirmed number
        (True, {}, {"inbox"}, ["inbox"]),  # no email address
        (False, {"email": False, "inbox": False}, {"email", "sms", "inbox"}, ["email", "inbox"]),
        (False, {"sms": True}, {"email", "sms", "inbox"}, ["email", "sms", "inbox"]),
    ],
)
def test_resolve_channels(
    optional: bool, choices: dict[str, bool], reachable: set[str], expected: list[str]
) -> None:
    assert (
        domain.resolve_channels(
            kind_channels=("email", "sms", "inbox"),
            default_channels=("email", "inbox"),
            optional=optional,
            choices=choices,
            reachable=reachable,
        )
        == expected
    )
