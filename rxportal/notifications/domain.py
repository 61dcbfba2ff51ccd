"""Delivery policy: how many tries and how long between them, quiet hours for texts, and which
channels a person gets a kind on. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from zoneinfo import ZoneInfo

MAX_ATTEMPTS = 5
# A one-time code lives 10 minutes: tries at 0, 1 and 3 minutes, then the person asks again.
MAX_CODE_ATTEMPTS = 3
FIRST_RETRY_DELAY = dt.timedelta(minutes=1)
LONGEST_RETRY_DELAY = dt.timedelta(hours=1)


def compute_retry_delay(attempts: int) -> dt.timedelta:
    """After the n-th failed try: 1, 2, 4, 8... minutes, never more than an hour."""
    delay: dt.timedelta = FIRST_RETRY_DELAY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY_DELAY)


def is_last_attempt(attempts: int, *, is_code: bool = False) -> bool:
    return attempts >= (MAX_CODE_ATTEMPTS if is_code else MAX_ATTEMPTS)


def is_in_quiet_hours(local_time: dt.time, start: dt.time, end: dt.time) -> bool:
    """Quiet from ``start`` (included) to ``end`` (excluded); 22:00-07:00 spans midnight.
    The same start and end mean no quiet hours."""
    if start == end:
        return False
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end


def end_of_quiet_hours(
    moment: dt.datetime, *, start: dt.time | None, end: dt.time | None, time_zone: str
) -> dt.datetime | None:
    """When a text due at ``moment`` may go: the end of the person's quiet hours (in their time
    zone, an aware datetime) if ``moment`` falls inside them, else None (send it now)."""
    if start is None or end is None:
        return None
    zone = ZoneInfo(time_zone)
    local = moment.astimezone(zone)
    if not is_in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return None
    end_day = local.date()
    if local.time().replace(tzinfo=None) >= end:  # quiet since the evening: ends tomorrow
        end_day += dt.timedelta(days=1)
    # A wall-clock time across a daylight-saving change: fold=0, then normalized through UTC.
    wake = dt.datetime.combine(end_day, end, tzinfo=zone)
    return wake.astimezone(dt.UTC).astimezone(zone)


def resolve_channels(
    *,
    kind_channels: tuple[str, ...],
    default_channels: tuple[str, ...],
    optional: bool,
    choices: Mapping[str, bool],
    reachable: Collection[str],
) -> list[str]:
    """A kind's default channels adjusted by the person's ``choices`` (channel -> on/off),
    kept to the channels it can go by and the person can be reached on. A kind that is not
    optional keeps its defaults whatever a stored choice says."""
    chosen = []
    for channel in kind_channels:
        enabled = channel in default_channels
        if optional or not enabled:
            enabled = choices.get(channel, enabled)
        if enabled and channel in reachable:
            chosen.append(channel)
    return chosen
