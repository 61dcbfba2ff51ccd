"""Pure rules of the plan sponsors' PHI tools: report states, link expiry, progress. No ORM,
request or settings."""

from __future__ import annotations

import datetime as dt

# A built report can be downloaded for this long; then it is built again on request.
REPORT_LINK_HOURS = 24
# The longest range one report covers (a few plan years); larger asks are split by the user.
MAX_REPORT_DAYS = 3 * 366


def compute_link_expiry(finished_at: dt.datetime) -> dt.datetime:
    return finished_at + dt.timedelta(hours=REPORT_LINK_HOURS)


def is_link_expired(*, expires_at: dt.datetime | None, now: dt.datetime) -> bool:
    """A report with no expiry yet (not built) has no link; one past its expiry has lost it."""
    return expires_at is None or now >= expires_at


def compute_progress_percent(*, done: int, total: int) -> int:
    """Whole per cent built; an empty report is done at once."""
    if total <= 0:
        return 100
    return min(100, done * 100 // total)


def is_range_valid(*, start: dt.date, end: dt.date) -> bool:
    return start <= end and (end - start).days < MAX_REPORT_DAYS
