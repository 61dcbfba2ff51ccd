"""Pure rules for prescriptions and refills: the refill-too-soon date, a prescription's refill
status (with the refill limits of controlled substances), and the deterministic key of an
automatic refill. No ORM, request or settings."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from enum import StrEnum

from rxportal.formulary.domain import DeaSchedule

# A refill is allowed once 75% of the last fill's days supply has passed (3/4, kept as integers
# so 22.5 days of a 30-day fill round up to 23: never earlier than the rule allows).
REFILL_THRESHOLD_NUMERATOR = 3
REFILL_THRESHOLD_DENOMINATOR = 4
# The dashboard lists refills allowed now or within this many days.
REFILL_DUE_SOON_DAYS = 7
# Refill reminders go out for the refills the dashboard lists as due (REFILL_DUE_SOON_DAYS);
# a due date up to this many days past still gets its reminder (a missed daily run catches up),
# an older one never (turning reminders on does not tell everyone of refills months overdue).
REFILL_REMINDER_CATCH_UP_DAYS = 7
# Alerts: a prescription expiring within this many days.
EXPIRY_ALERT_DAYS = 30
# A prescription that expired this recently is still listed, so it can be renewed.
RECENTLY_EXPIRED_DAYS = 90
# At most this many prescriptions in one refill request.
MAX_LINES_PER_REFILL = 20

# Controlled substances. A Schedule II prescription cannot be refilled: each fill needs a new
# prescription (21 U.S.C. 829(a), 21 CFR 1306.12(a)); Schedule I drugs are never dispensed.
NO_REFILL_SCHEDULES = frozenset({DeaSchedule.CI, DeaSchedule.CII})
# Schedules III and IV: no fill or refill more than six months after the date the prescription
# was written, and at most five refills (21 U.S.C. 829(b), 21 CFR 1306.22(a)). Federal law
# leaves Schedule V refills to the prescriber; the plan holds them to the same limit (as many
# states do), so one rule covers III to V.
LIMITED_REFILL_SCHEDULES = frozenset({DeaSchedule.CIII, DeaSchedule.CIV, DeaSchedule.CV})
CONTROLLED_MAX_REFILLS = 5
CONTROLLED_REFILL_MONTHS = 6

# Namespace of the idempotency keys of automatic refills (uuid5 of prescription and due date).
AUTO_REFILL_KEY_NAMESPACE = uuid.UUID("6f1d3c1e-6a37-4c8e-9a59-2f0a3e0b7c41")


class RefillStatus(StrEnum):
    """What the member can do with a prescription today, most blocking first."""

    EXPIRED = "expired"
    # Schedule II: never refilled; a new prescription is needed for each fill.
    SCHEDULE_II = "schedule_ii"
    NO_REFILLS_LEFT = "no_refills_left"
    # Schedules III-V: five refills used, or six months since the prescription was written.
    CONTROLLED_LIMIT = "controlled_limit"
    # In a mail order that is neither delivered nor cancelled (``apply_open_order``).
    ON_ORDER = "on_order"
    TOO_SOON = "too_soon"
    REFILL_NOW = "refill_now"


class Fulfilment(StrEnum):
    MAIL = "mail"
    PICKUP = "pickup"


class FillChannel(StrEnum):
    """The benefit engine's channels a refill can use (values of plans' Channel)."""

    RETAIL_30 = "retail_30"
    RETAIL_90 = "retail_90"
    MAIL_90 = "mail_90"


def compute_next_refill_date(*, last_filled_on: dt.date | None, days_supply: int) -> dt.date | None:
    """The first day a refill is allowed: last fill + 75% of the days supply, rounded up to a
    whole day. None when the prescription was never filled (a first fill is allowed at once).

    >>> compute_next_refill_date(last_filled_on=dt.date(2026, 1, 1), days_supply=30)
    datetime.date(2026, 1, 24)
    """
    if days_supply < 1:
        raise ValueError("days_supply must be at least 1")
    if last_filled_on is None:
        return None
    numerator = REFILL_THRESHOLD_NUMERATOR * days_supply
    wait_days = -(-numerator // REFILL_THRESHOLD_DENOMINATOR)  # ceiling division
    return last_filled_on + dt.timedelta(days=wait_days)


def is_expired(*, expires_on: dt.date, today: dt.date, is_active: bool = True) -> bool:
    """A prescription is valid through its expiry date; an inactive one counts as expired."""
    return not is_active or expires_on < today


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (the month's last day if it is shorter).

    >>> add_months(dt.date(2026, 8, 31), 6)
    datetime.date(2027, 2, 28)
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def compute_controlled_refill_deadline(
    *, dea_schedule: DeaSchedule | str, written_on: dt.date
) -> dt.date | None:
    """The last day a Schedule III-V prescription may be filled or refilled: six months after
    the date it was written ("not more than six months after", so that day still counts).
    None for other schedules."""
    if DeaSchedule(dea_schedule) not in LIMITED_REFILL_SCHEDULES:
        return None
    return add_months(written_on, CONTROLLED_REFILL_MONTHS)


def can_refill_automatically(dea_schedule: DeaSchedule | str) -> bool:
    """Automatic refills are refills: never for a Schedule II (or I) drug."""
    return DeaSchedule(dea_schedule) not in NO_REFILL_SCHEDULES


def fill_counts_as_refill(
    *, dea_schedule: DeaSchedule | str, last_filled_on: dt.date | None
) -> bool:
    """Whether a fill uses one of the prescription's refills: not the first fill of a Schedule
    II prescription (it has no refills; that fill is the prescription itself)."""
    return not (DeaSchedule(dea_schedule) in NO_REFILL_SCHEDULES and last_filled_on is None)


def compute_refill_status(
    *,
    is_active: bool,
    expires_on: dt.date,
    refills_remaining: int,
    next_refill_date: dt.date | None,
    today: dt.date,
    dea_schedule: DeaSchedule | str = DeaSchedule.NONE,
    written_on: dt.date | None = None,
    refills_authorized: int | None = None,
) -> RefillStatus:
    """The status badge, most blocking first: expired; a Schedule II drug already filled (no
    refills by law; its first fill is allowed) or a Schedule I drug; no refills left; a
    Schedule III-V prescription past its five refills or six months (or whose next refill
    would fall after the six months); too soon; else refill now. The one rule the prescriptions page, the dashboard, the refill
    service, the reminders and the automatic-refill job share (through ``compute_row``).

    ``written_on`` and ``refills_authorized`` count for Schedules III-V (refills used are
    those authorized less those remaining)."""
    if is_expired(expires_on=expires_on, today=today, is_active=is_active):
        return RefillStatus.EXPIRED
    schedule = DeaSchedule(dea_schedule)
    if schedule in NO_REFILL_SCHEDULES:
        # The law forbids refills, not the first fill: a Schedule II prescription never filled
        # (no next refill date) can be filled once, whatever refills are on record. Schedule I
        # is never dispensed.
        if schedule is DeaSchedule.CII and next_refill_date is None:
            return RefillStatus.REFILL_NOW
        return RefillStatus.SCHEDULE_II
    if refills_remaining <= 0:
        return RefillStatus.NO_REFILLS_LEFT
    if schedule in LIMITED_REFILL_SCHEDULES:
        if written_on is None:
            raise ValueError("written_on is needed for a Schedule III-V prescription")
        used = (refills_authorized if refills_authorized is not None else 0) - refills_remaining
        deadline = compute_controlled_refill_deadline(dea_schedule=schedule, written_on=written_on)
        assert deadline is not None
        if used >= CONTROLLED_MAX_REFILLS or today > deadline:
            return RefillStatus.CONTROLLED_LIMIT
        # The next refill would only be allowed after the last day: none will ever be.
        if next_refill_date is not None and next_refill_date > deadline:
            return RefillStatus.CONTROLLED_LIMIT
    if next_refill_date is not None and today < next_refill_date:
        return RefillStatus.TOO_SOON
    return RefillStatus.REFILL_NOW


def apply_open_order(status: RefillStatus, *, has_open_order: bool) -> RefillStatus:
    """A prescription in an open mail order is not due, whatever the too-soon clock says: a
    second order would fill it twice. It is on order until that order is delivered or
    cancelled. Expired and no-refills-left stay as they are (what a renewal is for).
    A separate rule, so other rules (such as a controlled-substance schedule) combine with it.
    """
    if has_open_order and status in (RefillStatus.REFILL_NOW, RefillStatus.TOO_SOON):
        return RefillStatus.ON_ORDER
    return status


def can_request_renewal(status: RefillStatus) -> bool:
    """A renewal (a new prescription) is for a prescription that cannot be refilled: past its
    expiry, no refills left, a Schedule II drug, or a controlled substance at its limit."""
    return status in (
        RefillStatus.EXPIRED,
        RefillStatus.SCHEDULE_II,
        RefillStatus.NO_REFILLS_LEFT,
        RefillStatus.CONTROLLED_LIMIT,
    )


def needs_new_prescription(status: RefillStatus) -> bool:
    """A controlled substance the law (or the plan) stops refilling: the member asks for a new
    prescription rather than a renewal of refills."""
    return status in (RefillStatus.SCHEDULE_II, RefillStatus.CONTROLLED_LIMIT)


def supply_runs_out_within(
    *, last_filled_on: dt.date | None, days_supply: int, today: dt.date, days: int
) -> bool:
    """The last fill's supply ends within ``days`` days (or has ended; or there was no fill):
    when a prescription that cannot be refilled needs the next one."""
    if last_filled_on is None:
        return True
    return last_filled_on + dt.timedelta(days=days_supply) <= today + dt.timedelta(days=days)


def is_refill_due_within(
    *, status: RefillStatus, next_refill_date: dt.date | None, today: dt.date, days: int
) -> bool:
    """Refillable now, or too soon today but allowed within ``days`` days."""
    if status is RefillStatus.REFILL_NOW:
        return True
    return (
        status is RefillStatus.TOO_SOON
        and next_refill_date is not None
        and next_refill_date <= today + dt.timedelta(days=days)
    )


def is_expiring_soon(*, expires_on: dt.date, today: dt.date, days: int = EXPIRY_ALERT_DAYS) -> bool:
    return today <= expires_on <= today + dt.timedelta(days=days)


def compute_fill_channel(*, fulfilment: Fulfilment | str, days_supply: int) -> FillChannel:
    """Mail refills go through the mail pharmacy; a pick-up is a 30- or 90-day retail fill."""
    if Fulfilment(fulfilment) is Fulfilment.MAIL:
        return FillChannel.MAIL_90
    return FillChannel.RETAIL_30 if days_supply <= 30 else FillChannel.RETAIL_90


def compute_auto_refill_key(*, prescription_public_id: uuid.UUID, due_on: dt.date) -> uuid.UUID:
    """The same prescription and due date always give the same key, so a rerun of the daily
    job (or two workers at once) places one refill."""
    return uuid.uuid5(AUTO_REFILL_KEY_NAMESPACE, f"auto-refill:{prescription_public_id}:{due_on}")


def compute_refill_due_on(*, next_refill_date: dt.date | None, written_on: dt.date) -> dt.date:
    """The day a refill became (or becomes) allowed: a never-filled prescription's first fill
    is allowed from the day it was written. A reminder is sent once per due date."""
    return next_refill_date or written_on


def is_refill_reminder_due(
    *,
    status: RefillStatus,
    next_refill_date: dt.date | None,
    written_on: dt.date,
    today: dt.date,
    days: int = REFILL_DUE_SOON_DAYS,
) -> bool:
    """Due within ``days`` as the dashboard counts it (``is_refill_due_within``), and due no
    more than ``REFILL_REMINDER_CATCH_UP_DAYS`` ago."""
    if not is_refill_due_within(
        status=status, next_refill_date=next_refill_date, today=today, days=days
    ):
        return False
    due_on = compute_refill_due_on(next_refill_date=next_refill_date, written_on=written_on)
    return due_on >= today - dt.timedelta(days=REFILL_REMINDER_CATCH_UP_DAYS)
