"""Pure refill rules: the refill-too-soon date, statuses, channels, auto-refill keys."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from rxportal.prescriptions import domain
from rxportal.prescriptions.domain import FillChannel, Fulfilment, RefillStatus

D = dt.date


@pytest.mark.parametrize(
    ("days_supply", "wait_days"),
    [
        (30, 23),  # 22.5 rounds up: never before 75% has passed
        (90, 68),  # 67.5 -> 68
        (28, 21),  # exactly 75%
        (4, 3),
        (1, 1),  # ceil(0.75)
        (2, 2),  # ceil(1.5)
        (7, 6),  # ceil(5.25)
        (365, 274),  # ceil(273.75)
    ],
)
def test_next_refill_date_is_75_percent_of_the_days_supply_rounded_up(
    days_supply: int, wait_days: int
) -> None:
    last = D(2026, 3, 1)

    assert domain.compute_next_refill_date(
        last_filled_on=last, days_supply=days_supply
    ) == last + dt.timedelta(days=wait_days)


def test_next_refill_date_crosses_month_leap_day_and_year_ends() -> None:
    assert domain.compute_next_refill_date(last_filled_on=D(2028, 2, 10), days_supply=30) == D(
        2028, 3, 4
    )  # 2028 is a leap year: 29 February counts
    assert domain.compute_next_refill_date(last_filled_on=D(2026, 12, 20), days_supply=30) == D(
        2027, 1, 12
    )


def test_a_prescription_never_filled_can_be_filled_at_once() -> None:
    assert domain.compute_next_refill_date(last_filled_on=None, days_supply=30) is None


@pytest.mark.parametrize("days_supply", [0, -5])
def test_a_days_supply_below_one_is_a_programming_error(days_supply: int) -> None:
    with pytest.raises(ValueError, match="days_supply"):
        domain.compute_next_refill_date(last_filled_on=D(2026, 1, 1), days_supply=days_supply)


TODAY = D(2026, 6, 15)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, RefillStatus.REFILL_NOW),
        ({"next_refill_date": TODAY}, RefillStatus.REFILL_NOW),  # the day itself is allowed
        ({"next_refill_date": TODAY + dt.timedelta(days=1)}, RefillStatus.TOO_SOON),
        ({"next_refill_date": None}, RefillStatus.REFILL_NOW),
        ({"refills_remaining": 0}, RefillStatus.NO_REFILLS_LEFT),
        ({"expires_on": TODAY}, RefillStatus.REFILL_NOW),  # valid through its expiry date
        ({"expires_on": TODAY - dt.timedelta(days=1)}, RefillStatus.EXPIRED),
        ({"is_active": False}, RefillStatus.EXPIRED),
        # Most blocking first: expired beats no refills, which beats too soon.
        (
            {"expires_on": TODAY - dt.timedelta(days=1), "refills_remaining": 0},
            RefillStatus.EXPIRED,
        ),
        (
            {"refills_remaining": 0, "next_refill_date": TODAY + dt.timedelta(days=9)},
            RefillStatus.NO_REFILLS_LEFT,
        ),
    ],
)
def test_refill_status(kwargs: dict[str, object], expected: RefillStatus) -> None:
    arguments: dict[str, object] = {
        "is_active": True,
        "expires_on": TODAY + dt.timedelta(days=100),
        "refills_remaining": 2,
        "next_refill_date": TODAY - dt.timedelta(days=3),
        "today": TODAY,
    }
    arguments.update(kwargs)

    assert domain.compute_refill_status(**arguments) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "renewable"),
    [
        (RefillStatus.EXPIRED, True),
        (RefillStatus.NO_REFILLS_LEFT, True),
        (RefillStatus.TOO_SOON, False),
        (RefillStatus.REFILL_NOW, False),
    ],
)
def test_renewals_are_for_expired_prescriptions_or_none_left(
    status: RefillStatus, renewable: bool
) -> None:
    assert domain.can_request_renewal(status) is renewable


@pytest.mark.parametrize(
    ("status", "next_date", "due"),
    [
        (RefillStatus.REFILL_NOW, None, True),
        (RefillStatus.TOO_SOON, TODAY + dt.timedelta(days=7), True),
        (RefillStatus.TOO_SOON, TODAY + dt.timedelta(days=8), False),
        (RefillStatus.NO_REFILLS_LEFT, TODAY, False),
        (RefillStatus.EXPIRED, None, False),
    ],
)
def test_refill_due_within_a_week(
    status: RefillStatus, next_date: dt.date | None, due: bool
) -> None:
    assert (
        domain.is_refill_due_within(status=status, next_refill_date=next_date, today=TODAY, days=7)
        is due
    )


@pytest.mark.parametrize(("offset", "soon"), [(-1, False), (0, True), (30, True), (31, False)])
def test_expiring_soon_is_within_30_days(offset: int, soon: bool) -> None:
    assert (
        domain.is_expiring_soon(expires_on=TODAY + dt.timedelta(days=offset), today=TODAY) is soon
    )


@pytest.mark.parametrize(
    ("fulfilment", "days", "channel"),
    [
        (Fulfilment.MAIL, 30, FillChannel.MAIL_90),
        (Fulfilment.MAIL, 90, FillChannel.MAIL_90),
        (Fulfilment.PICKUP, 30, FillChannel.RETAIL_30),
        (Fulfilment.PICKUP, 31, FillChannel.RETAIL_90),
        ("pickup", 90, FillChannel.RETAIL_90),
    ],
)
def test_fill_channel(fulfilment: Fulfilment | str, days: int, channel: FillChannel) -> None:
    assert domain.compute_fill_channel(fulfilment=fulfilment, days_supply=days) is channel


def test_auto_refill_keys_are_deterministic_per_prescription_and_due_date() -> None:
    rx_a, rx_b = uuid.uuid4(), uuid.uuid4()

    key = domain.compute_auto_refill_key(prescription_public_id=rx_a, due_on=TODAY)

    assert key == domain.compute_auto_refill_key(prescription_public_id=rx_a, due_on=TODAY)
    assert key != domain.compute_auto_refill_key(
        prescription_public_id=rx_a, due_on=TODAY + dt.timedelta(days=1)
    )
    assert key != domain.compute_auto_refill_key(prescription_public_id=rx_b, due_on=TODAY)
