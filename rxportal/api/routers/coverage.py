"""Coverage: the pharmacy ID cards, and the benefits (limits used and left, cost shares)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from rxportal.api.auth import reader_for
from rxportal.api.guards import member_for, require_read
from rxportal.api.schemas import (
    AmountProgressOut,
    PersonOut,
    PlanOut,
    money,
    money_or_none,
    number,
    person_out,
    plan_out,
)
from rxportal.claims.selectors import (
    AmountProgress,
    build_accumulator_summary,
    list_accumulator_rows,
)
from rxportal.core import clock
from rxportal.plans.selectors import list_cost_share_table
from rxportal.records.reads import record_phi_read, visible_members
from rxportal.web.selectors import id_card_for

router = Router(tags=["coverage"])


class IdCardOut(Schema):
    """The NCPDP pharmacy ID card of one member: what a pharmacy needs to bill the plan."""

    member: PersonOut
    member_id: str
    person_code: str
    rx_bin: str
    rx_pcn: str
    rx_group: str
    plan_name: str
    issuer: str
    member_services_phone: str
    pharmacist_phone: str
    tty: str
    coverage_start: dt.date
    coverage_end: dt.date | None


class IdCardListOut(Schema):
    cards: list[IdCardOut]


@router.get(
    "/id-cards",
    response={200: IdCardListOut},
    summary="ID cards of the member and the family members they may see",
)
def list_id_cards(request: HttpRequest) -> IdCardListOut:
    """Needs ``patient/Coverage.read``. The caller's card first."""
    require_read(request, "Coverage")
    reader = reader_for(request)
    members = visible_members(reader, today=clock.today())
    cards = [id_card_for(member) for member in members]
    record_phi_read(
        reader,
        action="phi.id_card.viewed",
        subject=members[0] if members else None,
        details={"cards": len(cards)},
    )
    return IdCardListOut(
        cards=[
            IdCardOut(
                member=person_out(card.member, viewer_id=request.user.pk),
                member_id=card.member_id,
                person_code=card.person_code,
                rx_bin=card.rx_bin,
                rx_pcn=card.rx_pcn,
                rx_group=card.rx_group,
                plan_name=card.plan_name,
                issuer=card.issuer,
                member_services_phone=card.member_services_phone,
                pharmacist_phone=card.pharmacist_phone,
                tty=card.tty,
                coverage_start=card.coverage_start,
                coverage_end=card.coverage_end,
            )
            for card in cards
        ]
    )


class CostShareOut(Schema):
    """What the member pays for one tier in one channel past the deductible; ``covered`` false
    when the plan does not pay in that channel. ``fills``: how many 30-day fills a fill counts
    as when it is priced from another channel's row (``source_channel``)."""

    channel: str  # retail_30, retail_90, mail_90, specialty
    covered: bool
    copay: str | None
    coinsurance_percent: str | None
    minimum: str | None
    maximum: str | None
    deductible_applies: bool | None
    source_channel: str | None
    fills: int


class TierCostSharesOut(Schema):
    tier: str  # Da Vinci tier code: generic, preferred-brand...
    channels: list[CostShareOut]


class BenefitsOut(Schema):
    member: PersonOut
    plan: PlanOut
    plan_year_start: dt.date
    plan_year_end: dt.date
    deductible: AmountProgressOut
    out_of_pocket: AmountProgressOut
    # None when the plan has no family limits or the member has no family on the plan.
    family_deductible: AmountProgressOut | None
    family_out_of_pocket: AmountProgressOut | None
    insulin_monthly_cap: str | None
    cost_shares: list[TierCostSharesOut]


def _progress(amount: AmountProgress | None) -> AmountProgressOut | None:
    if amount is None:
        return None
    return AmountProgressOut(
        used=money(amount.used), maximum=money(amount.maximum), left=money(amount.left)
    )


@router.get(
    "/benefits",
    response={200: BenefitsOut},
    summary="Benefits: deductible and out-of-pocket used and left, cost share by tier",
)
def get_benefits(request: HttpRequest, member: str | None = None) -> BenefitsOut:
    """Needs ``patient/Coverage.read``. ``member``: a family member's public id."""
    require_read(request, "Coverage")
    person = member_for(request, member)
    plan = person.plan
    has_family_on_plan = person.subscriber_id is not None or person.dependents.exists()
    summary = build_accumulator_summary(
        member=person,
        plan_year=plan.plan_year,
        rows=list_accumulator_rows(members=[person], plan_year=plan.plan_year),
        has_family_on_plan=has_family_on_plan,
    )
    table = list_cost_share_table(plan=plan)
    reader = reader_for(request)
    record_phi_read(
        reader, action="phi.benefits.viewed", subject=person, details={"plan_year": plan.plan_year}
    )
    deductible = _progress(summary.individual_deductible)
    out_of_pocket = _progress(summary.individual_oop)
    assert deductible is not None and out_of_pocket is not None
    return BenefitsOut(
        member=person_out(person, viewer_id=request.user.pk),
        plan=plan_out(plan),
        plan_year_start=dt.date(plan.plan_year, 1, 1),
        plan_year_end=dt.date(plan.plan_year, 12, 31),
        deductible=deductible,
        out_of_pocket=out_of_pocket,
        family_deductible=_progress(summary.family_deductible),
        family_out_of_pocket=_progress(summary.family_oop),
        insulin_monthly_cap=money_or_none(plan.insulin_monthly_cap),
        cost_shares=[
            TierCostSharesOut(
                tier=row.tier,
                channels=[
                    CostShareOut(
                        channel=cell.channel,
                        covered=cell.covered,
                        copay=money_or_none(cell.cost_share.copay) if cell.cost_share else None,
                        coinsurance_percent=(
                            number(cell.cost_share.coinsurance_pct)
                            if cell.cost_share and cell.cost_share.coinsurance_pct is not None
                            else None
                        ),
                        minimum=money_or_none(cell.cost_share.minimum) if cell.cost_share else None,
                        maximum=money_or_none(cell.cost_share.maximum) if cell.cost_share else None,
                        deductible_applies=(
                            cell.cost_share.deductible_applies if cell.cost_share else None
                        ),
                        source_channel=cell.source_channel,
                        fills=cell.fills,
                    )
                    for cell in row.cells
                ],
            )
            for row in table.rows
        ],
    )
