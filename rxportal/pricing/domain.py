"""Pure rules of the cost estimator and price quotes (no ORM, request, settings or clock).

Dispense units per fill, the default and largest days supply per channel, the plan's quantity
limit for a fill, the drug cost of a fill, how options compare (per 90 days) and how long a
price quote stays valid. Money is Decimal; what the member pays comes only from the engine.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from rxportal.pricing.engine import Channel

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Bad-input bounds: anything outside is a typing mistake, not a prescription.
MAX_QUANTITY = Decimal(10_000)
MAX_DAYS_SUPPLY = 365
# Days supply each channel fills: the default, and the most it dispenses at once.
DEFAULT_DAYS_SUPPLY: dict[Channel, int] = {
    Channel.RETAIL_30: 30,
    Channel.RETAIL_90: 90,
    Channel.MAIL_90: 90,
    Channel.SPECIALTY: 30,
}
MAX_DAYS_FOR_CHANNEL: dict[Channel, int] = {
    Channel.RETAIL_30: 34,  # a 30-day benefit usually allows up to 34 days (e.g. 34 tablets)
    Channel.RETAIL_90: 90,
    Channel.MAIL_90: 90,
    Channel.SPECIALTY: 30,
}
# Options are compared over the same span: three 30-day fills against one 90-day fill.
COMPARISON_DAYS = 90
# A quote is valid for this many days, never past the last day of the plan year.
QUOTE_VALID_DAYS = 30


def is_per_day_form(drug_name: str) -> bool:
    """Solid oral forms are dispensed by the unit per day (tablets, capsules...)."""
    lowered = drug_name.lower()
    return any(word in lowered for word in ("tablet", "capsule", "chewable", "lozenge"))


def compute_units_per_fill(*, drug_name: str, days_supply: int, per_day: int) -> int:
    """Dispense units for a fill: tablets/capsules per day x days; a 10 mL vial per month of
    injectable solution; otherwise one unit (tube, inhaler, pen, syringe) per 30 days.

    The same rule seed_demo uses for its fills (moved here so pricing does not import demo).
    """
    months = max(1, math.ceil(days_supply / 30))
    if is_per_day_form(drug_name):
        return per_day * days_supply
    lowered = drug_name.lower()
    if "/ml" in lowered and "inject" in lowered and "syringe" not in lowered:
        return 10 * months
    return months


def compute_drug_cost(*, unit_price: Decimal, quantity: Decimal) -> Decimal:
    """The allowed cost of a fill: price per dispense unit x units, to the cent."""
    return (unit_price * quantity).quantize(CENT, ROUND_HALF_UP)


def compute_quantity_limit_for_fill(*, amount: int, period_days: int, days_supply: int) -> Decimal:
    """Most units the plan's rolling limit (`amount` per `period_days`) allows for one fill.

    Proportional to the days supplied and never less than one period's amount: 30 per 30
    days allows 90 for a 90-day fill and 30 for a 14-day fill.
    """
    periods = max(Decimal(1), Decimal(days_supply) / Decimal(period_days))
    return (Decimal(amount) * periods).to_integral_value(ROUND_CEILING)


def compute_cost_over_span(*, amount: Decimal, days_supply: int) -> Decimal:
    """`amount` for `days_supply` days scaled to COMPARISON_DAYS (90) days, to the cent."""
    return (amount * COMPARISON_DAYS / Decimal(days_supply)).quantize(CENT, ROUND_HALF_UP)


def find_cheapest_indexes(costs: Sequence[Decimal | None]) -> set[int]:
    """Indexes of every option at the lowest cost (ties all count); empty when none is priced."""
    priced = [cost for cost in costs if cost is not None]
    if not priced:
        return set()
    lowest = min(priced)
    return {index for index, cost in enumerate(costs) if cost == lowest}


def compute_quote_valid_until(*, now: dt.datetime, plan_year_end: dt.datetime) -> dt.datetime:
    """QUOTE_VALID_DAYS after `now`, but never past the end of the plan year (exclusive end)."""
    return min(now + dt.timedelta(days=QUOTE_VALID_DAYS), plan_year_end)
