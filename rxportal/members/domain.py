"""Pure rules about members: when a dependent is an adult, and so needs to consent."""

from __future__ import annotations

import datetime as dt

AGE_OF_MAJORITY = 18


def compute_latest_adult_birth_date(today: dt.date) -> dt.date:
    """Someone born on or before this date is 18 or older on `today`.

    When `today` is 29 February and the year 18 years back has no such day, the cut-off is the
    28th. So someone born on 29 February turns 18 on 1 March in a common year.
    """
    year = today.year - AGE_OF_MAJORITY
    try:
        return today.replace(year=year)
    except ValueError:  # today is 29 February and that year has no such day
        return today.replace(year=year, day=28)


def is_adult(*, date_of_birth: dt.date, today: dt.date) -> bool:
    """18 or older on `today`. Born on 29 February: an adult from 1 March of a common year."""
    return date_of_birth <= compute_latest_adult_birth_date(today)
