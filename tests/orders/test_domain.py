"""Pure mail-order rules: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rxportal.orders import domain
from rxportal.orders.domain import EventRecord, Status, StepState

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _events(*statuses: str) -> list[EventRecord]:
    return [
        EventRecord(
            status=status, reason=f"reason {status}", occurred_at=T0 + dt.timedelta(hours=i)
        )
        for i, status in enumerate(statuses)
    ]


# --- Order numbers -----------------------------------------------------------------------------


def test_order_number_has_a_readable_fixed_shape():
    number = domain.compute_order_number(0)
    assert number == "MO-00000-00000"
    assert domain.compute_order_number(2**50 - 1) == "MO-ZZZZZ-ZZZZZ"


def test_neighbouring_entropy_gives_unrelated_looking_numbers_without_confusable_letters():
    numbers = {domain.compute_order_number(value) for value in range(0, 2**50, 2**45)}
    assert len(numbers) == 32
    assert not any(set(n[3:]) & set("ILOU") for n in numbers)


@pytest.mark.parametrize("entropy", [-1, 2**50])
def test_order_number_refuses_out_of_range_entropy(entropy):
    with pytest.raises(ValueError, match="50-bit"):
        domain.compute_order_number(entropy)


# --- Expected delivery -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordered_on", "expected"),
    [
        (dt.date(2026, 3, 2), dt.date(2026, 3, 9)),  # Monday -> next Monday
        (dt.date(2026, 3, 6), dt.date(2026, 3, 13)),  # Friday -> next Friday
        (dt.date(2026, 3, 7), dt.date(2026, 3, 13)),  # Saturday -> Friday
        (dt.date(2026, 11, 23), dt.date(2026, 12, 1)),  # Thanksgiving (26th) skipped
        (dt.date(2026, 12, 22), dt.date(2026, 12, 30)),  # Christmas skipped
        (dt.date(2027, 6, 14), dt.date(2027, 6, 22)),  # Juneteenth on Saturday, observed 18th
    ],
)
def test_expected_delivery_counts_business_days(ordered_on, expected):
    assert domain.compute_expected_delivery(ordered_on=ordered_on) == expected


def test_expected_delivery_with_zero_days_is_the_same_day():
    assert domain.compute_expected_delivery(ordered_on=dt.date(2026, 3, 7), business_days=0) == (
        dt.date(2026, 3, 7)
    )


def test_carrier_holidays_of_2026():
    holidays = domain.compute_carrier_holidays(2026)
    assert dt.date(2026, 1, 19) in holidays  # MLK day
    assert dt.date(2026, 5, 25) in holidays  # Memorial Day
    assert dt.date(2026, 7, 3) in holidays  # 4 July on a Saturday, observed Friday
    assert dt.date(2026, 9, 7) in holidays  # Labor Day
    assert dt.date(2026, 11, 26) in holidays  # Thanksgiving
    assert len(holidays) == 11


# --- History window ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (dt.date(2026, 11, 23), dt.date(2025, 5, 23)),
        (dt.date(2026, 6, 15), dt.date(2024, 12, 15)),
        (dt.date(2026, 8, 31), dt.date(2025, 2, 28)),
        (dt.date(2027, 8, 31), dt.date(2026, 2, 28)),
        (dt.date(2025, 8, 29), dt.date(2024, 2, 29)),
    ],
)
def test_history_starts_18_months_back(today, start):
    assert domain.compute_history_start(today=today) == start


# --- Tracking links ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("carrier", "number", "url"),
    [
        ("UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        (
            "USPS",
            "9400 1118 9922 3856 9123 45",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223856912345",
        ),
        ("FedEx", "123456789012", "https://www.fedex.com/fedextrack/?trknbr=123456789012"),
        (
            "Federal Express",
            "123456789012",
            "https://www.fedex.com/fedextrack/?trknbr=123456789012",
        ),
        ("fedex", "123456789012", "https://www.fedex.com/fedextrack/?trknbr=123456789012"),
    ],
)
def test_tracking_url_for_known_carriers(carrier, number, url):
    assert domain.compute_tracking_url(carrier=carrier, tracking_number=number) == url


@pytest.mark.parametrize(
    ("carrier", "number"),
    [("DHL", "1234567890"), ("", "1234567890"), ("UPS", ""), ("UPS", "12<script>3456")],
)
def test_tracking_url_is_none_for_unknown_carriers_or_odd_numbers(carrier, number):
    assert domain.compute_tracking_url(carrier=carrier, tracking_number=number) is None


# --- Cancelling and lines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        ("received", True),
        ("verifying", True),
        ("on_hold", True),
        ("processing", False),
        ("shipped", False),
        ("delivered", False),
        ("cancelled", False),
    ],
)
def test_can_cancel_until_processing_starts(status, allowed):
    assert domain.can_cancel(status) is allowed


def test_open_statuses_exclude_delivered_and_cancelled():
    assert domain.is_open("on_hold") and domain.is_open("shipped")
    assert not domain.is_open("delivered") and not domain.is_open("cancelled")


@pytest.mark.parametrize(
    ("quantity", "days", "valid"),
    [("30", 30, True), ("0", 30, False), ("30", 0, False), ("30", 366, False), ("0.5", 1, True)],
)
def test_is_valid_line(quantity, days, valid):
    assert domain.is_valid_line(quantity=Decimal(quantity), days_supply=days) is valid


def test_refills_to_restore_count_one_per_line_and_cap_at_authorized():
    assert domain.count_refills_to_restore([7, 8, 7]) == {7: 2, 8: 1}
    assert domain.compute_restored_refills(remaining=1, authorized=5, restore=2) == 3
    assert domain.compute_restored_refills(remaining=5, authorized=5, restore=1) == 5


# --- Addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clean"),
    [("06103", "06103"), (" 06103-1234 ", "06103-1234"), ("061031234", "06103-1234")],
)
def test_normalize_zip_accepts_zip_and_zip_plus_4(text, clean):
    assert domain.normalize_zip(text) == clean


@pytest.mark.parametrize("text", ["0610", "061034", "06103-12", "ABCDE", ""])
def test_normalize_zip_refuses_anything_else(text):
    assert domain.normalize_zip(text) is None


@pytest.mark.parametrize(
    ("text", "clean"), [("ct", "CT"), (" NY ", "NY"), ("C1", None), ("", None)]
)
def test_normalize_state(text, clean):
    assert domain.normalize_state(text) == clean


# --- The timeline ------------------------------------------------------------------------------


def _states(steps):
    return [(step.status.value, step.state.value) for step in steps]


def test_timeline_of_a_shipped_order():
    steps = domain.compute_timeline(
        status="shipped", events=_events("received", "verifying", "processing", "shipped")
    )
    assert _states(steps) == [
        ("received", "done"),
        ("verifying", "done"),
        ("processing", "done"),
        ("shipped", "current"),
        ("delivered", "upcoming"),
    ]
    assert steps[3].reason == "reason shipped"
    assert steps[4].occurred_at is None


def test_timeline_of_a_delivered_order_is_all_done():
    steps = domain.compute_timeline(
        status="delivered",
        events=_events("received", "verifying", "processing", "shipped", "delivered"),
    )
    assert all(step.state is StepState.DONE for step in steps)


def test_timeline_of_a_new_order():
    steps = domain.compute_timeline(status="received", events=_events("received"))
    assert _states(steps)[0] == ("received", "current")
    assert [s.state for s in steps[1:]] == [StepState.UPCOMING] * 4


def test_timeline_of_an_order_on_hold_shows_the_reason_and_the_steps_to_resume():
    steps = domain.compute_timeline(
        status="on_hold", events=_events("received", "verifying", "on_hold")
    )
    assert _states(steps) == [
        ("received", "done"),
        ("verifying", "done"),
        ("on_hold", "current"),
        ("processing", "upcoming"),
        ("shipped", "upcoming"),
        ("delivered", "upcoming"),
    ]
    assert steps[2].reason == "reason on_hold"
    assert steps[2].is_exception


def test_timeline_of_a_cancelled_order_stops_at_the_cancellation():
    steps = domain.compute_timeline(status="cancelled", events=_events("received", "cancelled"))
    assert _states(steps) == [("received", "done"), ("cancelled", "current")]
    assert steps[-1].status is Status.CANCELLED


def test_timeline_sorts_events_and_fills_steps_without_events():
    events = list(reversed(_events("received", "shipped")))
    steps = domain.compute_timeline(status="shipped", events=events)
    assert _states(steps)[:4] == [
        ("received", "done"),
        ("verifying", "done"),
        ("processing", "done"),
        ("shipped", "current"),
    ]
    assert steps[1].occurred_at is None
