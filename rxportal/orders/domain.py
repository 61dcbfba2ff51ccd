"""Pure rules of mail orders: order numbers, expected delivery, the status timeline, what may be
cancelled, carrier tracking links and the history window. No ORM, request, clock or settings."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol
from urllib.parse import quote


class Status(StrEnum):
    """Mirrors ``models.OrderStatus`` (the stored choices)."""

    RECEIVED = "received"
    VERIFYING = "verifying"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


# The normal path of an order, in order.
HAPPY_PATH: tuple[Status, ...] = (
    Status.RECEIVED,
    Status.VERIFYING,
    Status.PROCESSING,
    Status.SHIPPED,
    Status.DELIVERED,
)
# A member may cancel until the pharmacy starts filling the order.
CANCELLABLE_STATUSES = frozenset({Status.RECEIVED, Status.VERIFYING, Status.ON_HOLD})
# Orders that are finished: everything else is "open" / "in progress".
CLOSED_STATUSES = frozenset({Status.DELIVERED, Status.CANCELLED})
OPEN_STATUSES = frozenset(Status) - CLOSED_STATUSES

HISTORY_MONTHS = 18
DELIVERY_BUSINESS_DAYS = 5
MAX_DAYS_SUPPLY = 365
MAX_QUANTITY = Decimal("9999")


class OrderedPrescription(Protocol):
    """What an order needs of a prescription (``prescriptions.Prescription`` has it): orders
    never import the prescriptions app, which places orders for refills."""

    pk: int
    public_id: uuid.UUID
    member_id: int


@dataclass(frozen=True)
class MailOrderLineInput:
    """One prescription to fill in a mail order."""

    prescription: OrderedPrescription
    quantity: Decimal
    days_supply: int


def is_valid_line(*, quantity: Decimal, days_supply: int) -> bool:
    return Decimal(0) < quantity <= MAX_QUANTITY and 1 <= days_supply <= MAX_DAYS_SUPPLY


def can_cancel(status: str) -> bool:
    return status in CANCELLABLE_STATUSES


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


class Attention(StrEnum):
    """Why an open order needs the member's attention (the dashboard keeps every such order)."""

    LATE = "late"  # past its expected delivery date, not delivered
    ON_HOLD = "on_hold"  # the pharmacy stopped it; the reason says why


def is_late(*, status: str, expected_delivery: dt.date | None, today: dt.date) -> bool:
    """Open and past its expected delivery date (due today is not late yet)."""
    return is_open(status) and expected_delivery is not None and expected_delivery < today


def compute_attention(
    *, status: str, expected_delivery: dt.date | None, today: dt.date
) -> Attention | None:
    """On hold, or late, or nothing to do (the order is on its way, or finished)."""
    if status == Status.ON_HOLD:
        return Attention.ON_HOLD
    if is_late(status=status, expected_delivery=expected_delivery, today=today):
        return Attention.LATE
    return None


# --- Order numbers -----------------------------------------------------------------------------

# Crockford base32: no I, L, O or U, so numbers read over the phone are not misheard.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ORDER_NUMBER_BITS = 50  # 10 symbols: ~10^15 numbers, so neighbours cannot be guessed


def compute_order_number(entropy: int) -> str:
    """``"MO-7K3QD-X9A2F"`` from 50 random bits (pass ``secrets.randbits(50)``).

    Numbers are random, not sequential: one order number says nothing about the next.
    """
    if not 0 <= entropy < 2**ORDER_NUMBER_BITS:
        raise ValueError("order number entropy must be a 50-bit non-negative integer")
    symbols = []
    for _ in range(ORDER_NUMBER_BITS // 5):
        symbols.append(_CROCKFORD[entropy & 31])
        entropy >>= 5
    text = "".join(reversed(symbols))
    return f"MO-{text[:5]}-{text[5:]}"


# --- Expected delivery -------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday (0 = Monday) of a month; n = -1 for the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = (dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    """A holiday on Saturday is observed on Friday, on Sunday on Monday."""
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


def compute_carrier_holidays(year: int) -> frozenset[dt.date]:
    """US federal holidays (observed dates), when carriers do not deliver."""
    fixed = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)]
    days = {_observed(dt.date(year, month, day)) for month, day in fixed}
    days |= {
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
    }
    return frozenset(days)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in compute_carrier_holidays(day.year)


def compute_expected_delivery(
    *, ordered_on: dt.date, business_days: int = DELIVERY_BUSINESS_DAYS
) -> dt.date:
    """The date an order placed on ``ordered_on`` should arrive: that many business days later
    (weekends and US federal holidays do not count)."""
    if business_days < 0:
        raise ValueError("business_days must not be negative")
    day = ordered_on
    remaining = business_days
    while remaining:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


# --- History window ----------------------------------------------------------------------------


def compute_history_start(*, today: dt.date, months: int = HISTORY_MONTHS) -> dt.date:
    """The first day shown in the order history: the same day ``months`` months ago
    (the last day of that month when it is shorter)."""
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for day in (today.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


# --- Carrier tracking links ----------------------------------------------------------------------

_TRACKING_URLS = {
    "ups": "https://www.ups.com/track?tracknum={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
}
_CARRIER_ALIASES = {
    "ups": "ups",
    "unitedparcelservice": "ups",
    "usps": "usps",
    "unitedstatespostalservice": "usps",
    "uspostalservice": "usps",
    "fedex": "fedex",
    "federalexpress": "fedex",
}
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_TRACKING_NUMBER = re.compile(r"[A-Za-z0-9]{6,40}")


def compute_tracking_url(*, carrier: str, tracking_number: str) -> str | None:
    """The carrier's public tracking page for this number, or None for an unknown carrier or a
    number that does not look like one (then show the number alone)."""
    key = _CARRIER_ALIASES.get(_NOT_ALNUM.sub("", carrier.lower()))
    number = tracking_number.replace(" ", "")
    if key is None or not _TRACKING_NUMBER.fullmatch(number):
        return None
    return _TRACKING_URLS[key].format(number=quote(number, safe=""))


# --- The status timeline -----------------------------------------------------------------------


class StepState(StrEnum):
    DONE = "done"
    CURRENT = "current"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class EventRecord:
    """A stored timeline event (``MailOrderEvent``) as plain data."""

    status: str
    reason: str  # a reason code, or "" when the step needs none
    occurred_at: dt.datetime


@dataclass(frozen=True)
class TimelineStep:
    status: Status
    state: StepState
    occurred_at: dt.datetime | None
    reason: str

    @property
    def is_exception(self) -> bool:
        """On hold or cancelled: off the normal path."""
        return self.status in (Status.ON_HOLD, Status.CANCELLED)


def compute_timeline(*, status: str, events: Iterable[EventRecord]) -> list[TimelineStep]:
    """The steps to show for an order: what happened (from its events, oldest first), the
    current step, then the normal steps still to come.

    A cancelled order has no steps to come; an order on hold shows the steps it would resume
    with. A happy-path step with no event of its own (data from before events were kept) is
    still shown as done when a later step was reached.
    """
    current = Status(status)
    ordered = sorted(events, key=lambda event: event.occurred_at)
    latest: dict[Status, EventRecord] = {}
    for event in ordered:
        latest[Status(event.status)] = event

    steps: list[TimelineStep] = []
    if current in HAPPY_PATH:
        reached = HAPPY_PATH.index(current)
        for index, step in enumerate(HAPPY_PATH):
            step_event = latest.get(step)
            if index < reached:
                state = StepState.DONE
            elif index == reached:
                state = StepState.DONE if step is Status.DELIVERED else StepState.CURRENT
            else:
                state = StepState.UPCOMING
            steps.append(
                _step(step, state, step_event if state is not StepState.UPCOMING else None)
            )
        return steps

    # On hold or cancelled: the normal steps reached before it, then the exception itself.
    reached_steps = [step for step in HAPPY_PATH if step in latest]
    last_reached = HAPPY_PATH.index(reached_steps[-1]) if reached_steps else 0
    for step in HAPPY_PATH[: last_reached + 1]:
        steps.append(_step(step, StepState.DONE, latest.get(step)))
    steps.append(_step(current, StepState.CURRENT, latest.get(current)))
    if current is Status.ON_HOLD:
        for step in HAPPY_PATH[last_reached + 1 :]:
            steps.append(_step(step, StepState.UPCOMING, None))
    return steps


def _step(status: Status, state: StepState, event: EventRecord | None) -> TimelineStep:
    return TimelineStep(
        status=status,
        state=state,
        occurred_at=event.occurred_at if event else None,
        reason=event.reason if event else "",
    )


def count_refills_to_restore(prescription_ids: Sequence[int]) -> dict[int, int]:
    """How many refills a cancelled order gives back to each prescription: one per line."""
    counts: dict[int, int] = {}
    for prescription_id in prescription_ids:
        counts[prescription_id] = counts.get(prescription_id, 0) + 1
    return counts


def compute_restored_refills(*, remaining: int, authorized: int, restore: int) -> int:
    """Refills left after giving back ``restore`` of them: never above what was authorized."""
    return min(remaining + restore, authorized)


# --- Shipping addresses ------------------------------------------------------------------------

MAX_SHIPPING_ADDRESSES = 10
_STATE_RE = re.compile(r"[A-Z]{2}")
_ZIP_RE = re.compile(r"(\d{5})(?:-?(\d{4}))?")


def normalize_state(text: str) -> str | None:
    """``" ct "`` -> ``"CT"``; None unless it is two letters."""
    state = text.strip().upper()
    return state if _STATE_RE.fullmatch(state) else None


def normalize_zip(text: str) -> str | None:
    """``"06103"`` or ``"06103-1234"`` (also ``"061031234"``) as stored; None otherwise."""
    match = _ZIP_RE.fullmatch(text.strip())
    if match is None:
        return None
    zip5, plus4 = match.groups()
    return f"{zip5}-{plus4}" if plus4 else zip5
