"""The refill rules of controlled substances (no DB): Schedule II is never refilled; Schedules
III-V at most five times within six months of the date written. One status feeds the page,
the dashboard, the refill service, the reminders and the automatic-refill job."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from rxportal.prescriptions import domain
from rxportal.prescriptions.domain import RefillStatus

D = dt.date
TODAY = D(2026, 6, 15)


def status(**overrides: Any) -> RefillStatus:
    """A prescription refillable today unless the overrides say otherwise: written 100 days
    ago, 2 of 5 refills used, last filled 30 days ago for 30 days."""
    values: dict[str, Any] = {
        "is_active": True,
        "expires_on": TODAY + dt.timedelta(days=200),
        "refills_remaining": 3,
        "refills_authorized": 5,
        "next_refill_date": TODAY - dt.timedelta(days=7),
        "written_on": TODAY - dt.timedelta(days=100),
        "today": TODAY,
    }
    values.update(overrides)
    return domain.compute_refill_status(**values)


def test_an_uncontrolled_drug_keeps_the_usual_rule() -> None:
    assert status() is RefillStatus.REFILL_NOW
    assert status(dea_schedule="") is RefillStatus.REFILL_NOW
    # Written a year ago with six refills used: fine for a drug that is not controlled.
    assert (
        status(refills_authorized=11, written_on=TODAY - dt.timedelta(days=365))
        is RefillStatus.REFILL_NOW
    )


@pytest.mark.parametrize("schedule", ["CII", "CI"])
def test_schedule_ii_is_never_refilled_even_with_refills_on_record(schedule: str) -> None:
    assert status(dea_schedule=schedule) is RefillStatus.SCHEDULE_II
    assert status(dea_schedule=schedule, refills_remaining=0) is RefillStatus.SCHEDULE_II
    # Expired says so first (renewing is the way either way).
    assert (
        status(dea_schedule=schedule, expires_on=TODAY - dt.timedelta(days=1))
        is RefillStatus.EXPIRED
    )


@pytest.mark.parametrize("refills_remaining", [0, 2])
def test_a_schedule_ii_prescription_never_filled_can_be_filled_once(refills_remaining: int) -> None:
    # The law forbids refills, not the first fill (21 CFR 1306.12(a)): never filled (no next
    # refill date) it is fillable now, whatever the refills on record say.
    first = status(dea_schedule="CII", next_refill_date=None, refills_remaining=refills_remaining)
    assert first is RefillStatus.REFILL_NOW
    # Once filled it is Schedule II: a new prescription for the next fill.
    filled = status(dea_schedule="CII", refills_remaining=refills_remaining)
    assert filled is RefillStatus.SCHEDULE_II
    # Schedule I is never dispensed, first fill or not.
    assert status(dea_schedule="CI", next_refill_date=None) is RefillStatus.SCHEDULE_II


@pytest.mark.parametrize(
    ("schedule", "last_filled_on", "counts"),
    [("CII", None, False), ("CII", D(2026, 6, 1), True), ("", None, True), ("CIV", None, True)],
)
def test_the_first_fill_of_a_schedule_ii_prescription_uses_no_refill(
    schedule: str, last_filled_on: dt.date | None, counts: bool
) -> None:
    assert (
        domain.fill_counts_as_refill(dea_schedule=schedule, last_filled_on=last_filled_on) is counts
    )


@pytest.mark.parametrize("schedule", ["CIII", "CIV", "CV"])
def test_a_refill_allowed_only_after_the_six_month_limit_is_at_the_limit_now(
    schedule: str,
) -> None:
    # Written 2026-06-20: the last day is 2026-12-20. Next refill allowed 2026-12-24, after it:
    # no refill will ever be allowed, so it is at its limit today (not "too soon").
    written = D(2026, 6, 20)
    for today in (D(2026, 12, 10), D(2026, 12, 17), D(2026, 12, 20)):
        assert (
            status(
                dea_schedule=schedule,
                written_on=written,
                today=today,
                next_refill_date=D(2026, 12, 24),
            )
            is RefillStatus.CONTROLLED_LIMIT
        )
    # A next refill on the last day itself is still too soon (then allowed that day).
    assert (
        status(
            dea_schedule=schedule,
            written_on=written,
            today=D(2026, 12, 17),
            next_refill_date=D(2026, 12, 20),
        )
        is RefillStatus.TOO_SOON
    )


@pytest.mark.parametrize("schedule", ["CIII", "CIV", "CV"])
def test_schedules_iii_to_v_allow_five_refills(schedule: str) -> None:
    # 4 of 6 used: one more allowed; 5 used: the limit, whatever remains on record.
    assert status(dea_schedule=schedule, refills_authorized=6, refills_remaining=2) == "refill_now"
    assert (
        status(dea_schedule=schedule, refills_authorized=6, refills_remaining=1)
        is RefillStatus.CONTROLLED_LIMIT
    )
    assert status(dea_schedule=schedule, refills_remaining=0) is RefillStatus.NO_REFILLS_LEFT


@pytest.mark.parametrize("schedule", ["CIII", "CIV", "CV"])
def test_schedules_iii_to_v_stop_six_months_after_the_date_written(schedule: str) -> None:
    written = D(2025, 12, 15)  # six months later: 2026-06-15, TODAY

    assert status(dea_schedule=schedule, written_on=written) is RefillStatus.REFILL_NOW
    assert (
        status(dea_schedule=schedule, written_on=written - dt.timedelta(days=1))
        is RefillStatus.CONTROLLED_LIMIT
    )
    # Too soon still says too soon while the limit is not reached.
    assert (
        status(dea_schedule=schedule, next_refill_date=TODAY + dt.timedelta(days=3))
        is RefillStatus.TOO_SOON
    )


def test_a_controlled_prescription_needs_its_written_date() -> None:
    with pytest.raises(ValueError, match="written_on"):
        status(dea_schedule="CIV", written_on=None)


@pytest.mark.parametrize(
    ("written_on", "deadline"),
    [
        (D(2026, 1, 10), D(2026, 7, 10)),
        (D(2026, 8, 31), D(2027, 2, 28)),  # the shorter month's last day
        (D(2027, 8, 31), D(2028, 2, 29)),  # a leap year
        (D(2026, 9, 30), D(2027, 3, 30)),
    ],
)
def test_the_refill_deadline_is_six_calendar_months_after_writing(
    written_on: dt.date, deadline: dt.date
) -> None:
    assert (
        domain.compute_controlled_refill_deadline(dea_schedule="CIV", written_on=written_on)
        == deadline
    )
    assert (
        domain.compute_controlled_refill_deadline(dea_schedule="CII", written_on=written_on) is None
    )
    assert domain.compute_controlled_refill_deadline(dea_schedule="", written_on=written_on) is None


@pytest.mark.parametrize(
    ("refill_status", "renewal", "new_prescription"),
    [
        (RefillStatus.SCHEDULE_II, True, True),
        (RefillStatus.CONTROLLED_LIMIT, True, True),
        (RefillStatus.NO_REFILLS_LEFT, True, False),
        (RefillStatus.EXPIRED, True, False),
        (RefillStatus.REFILL_NOW, False, False),
    ],
)
def test_a_controlled_prescription_that_cannot_be_refilled_asks_for_a_new_one(
    refill_status: RefillStatus, renewal: bool, new_prescription: bool
) -> None:
    assert domain.can_request_renewal(refill_status) is renewal
    assert domain.needs_new_prescription(refill_status) is new_prescription


@pytest.mark.parametrize("refill_status", [RefillStatus.SCHEDULE_II, RefillStatus.CONTROLLED_LIMIT])
def test_a_controlled_prescription_that_cannot_be_refilled_is_never_due(
    refill_status: RefillStatus,
) -> None:
    due = TODAY - dt.timedelta(days=1)
    assert not domain.is_refill_due_within(
        status=refill_status, next_refill_date=due, today=TODAY, days=7
    )
    assert not domain.is_refill_reminder_due(
        status=refill_status, next_refill_date=due, written_on=D(2026, 3, 1), today=TODAY
    )


@pytest.mark.parametrize(
    ("schedule", "allowed"),
    [("CII", False), ("CI", False), ("CIII", True), ("CV", True), ("", True)],
)
def test_automatic_refills_are_never_for_schedule_ii(schedule: str, allowed: bool) -> None:
    assert domain.can_refill_automatically(schedule) is allowed
