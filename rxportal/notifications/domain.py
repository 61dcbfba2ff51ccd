"""Delivery policy: how many tries, and how long to wait between them. Pure."""

from __future__ import annotations

import datetime as dt

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
