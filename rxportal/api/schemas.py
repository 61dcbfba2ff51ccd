"""Shapes shared by several routers, and how amounts are written (decimal strings)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from ninja import Schema

if TYPE_CHECKING:
    from rxportal.members.models import Member
    from rxportal.plans.models import Plan
    from rxportal.pricing.selectors import FillEstimate

CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    """Dollars as a decimal string with cents ("12.30"): never a float."""
    return str(amount.quantize(CENT))


def money_or_none(amount: Decimal | None) -> str | None:
    return None if amount is None else money(amount)


def number(value: Decimal) -> str:
    """A quantity as a decimal string without trailing zeros ("30", "2.5")."""
    text = format(value.normalize(), "f")
    return text


class PersonOut(Schema):
    """A covered person as the caller may know them: public id, name and place on the card."""

    public_id: str
    first_name: str
    last_name: str
    relationship: str  # subscriber, spouse, child, other
    person_code: str
    is_self: bool


class PlanOut(Schema):
    code: str
    name: str
    kind: str  # commercial, medicare_part_d
    plan_year: int


class AmountProgressOut(Schema):
    """A plan-year limit: what has been used, the limit, and what is left (decimal strings)."""

    used: str
    maximum: str
    left: str


class DrugRefOut(Schema):
    public_id: str
    name: str


def person_out(member: Member, *, viewer_id: int | None) -> PersonOut:
    """``viewer_id``: the signed-in user's pk (a member's own record is linked to their user)."""
    return PersonOut(
        public_id=str(member.public_id),
        first_name=member.first_name,
        last_name=member.last_name,
        relationship=member.relationship,
        person_code=member.person_code,
        is_self=viewer_id is not None and member.user_id == viewer_id,
    )


def plan_out(plan: Plan) -> PlanOut:
    return PlanOut(code=plan.code, name=plan.name, kind=plan.kind, plan_year=plan.plan_year)


def iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


class ExplanationLineOut(Schema):
    """One step of the benefit engine's arithmetic, by stable code (deductible, copay...)."""

    code: str
    amount: str


class FillOut(Schema):
    """What one fill would cost: the inputs priced and the engine's result (decimal strings).
    ``covered`` false: the plan would not pay (not on the formulary, no price, mail not allowed,
    over the quantity limit, or the tier not priced in the channel); then the amounts the
    member and plan pay are null."""

    drug: DrugRefOut
    covered: bool
    tier: str | None
    channel: str  # the channel priced (a specialty drug: specialty)
    requested_channel: str
    quantity: str
    days_supply: int
    pharmacy: str | None  # public id
    network_status: str  # preferred, in_network, out_of_network
    unit_price: str
    total_cost: str
    member_pays: str | None
    plan_pays: str | None
    deductible_applied: str | None
    member_pays_per_90_days: str | None
    explanation: list[ExplanationLineOut]


def fill_out(estimate: FillEstimate) -> FillOut:
    adjudication = estimate.adjudication
    return FillOut(
        drug=DrugRefOut(public_id=str(estimate.drug.public_id), name=estimate.drug.name),
        covered=estimate.covered,
        tier=estimate.tier,
        channel=estimate.channel,
        requested_channel=estimate.requested_channel or estimate.channel,
        quantity=number(estimate.quantity),
        days_supply=estimate.days_supply,
        pharmacy=str(estimate.pharmacy.public_id) if estimate.pharmacy is not None else None,
        network_status=estimate.network_status,
        unit_price=str(estimate.unit_price),
        total_cost=money(estimate.total_cost),
        member_pays=money_or_none(estimate.member_pays),
        plan_pays=money_or_none(estimate.plan_pays),
        deductible_applied=(
            money(adjudication.deductible_applied) if adjudication is not None else None
        ),
        member_pays_per_90_days=money_or_none(estimate.member_pays_per_90_days),
        explanation=[
            ExplanationLineOut(code=line.code, amount=money(line.amount))
            for line in (adjudication.explanation if adjudication is not None else ())
        ],
    )
