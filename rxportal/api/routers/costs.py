"""Costs: what a fill would cost the member (as the /costs/estimate/ page computes it), and
price quotes (an estimate saved so the member can hold us to it while it is valid)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rxportal.api.auth import reader_for
from rxportal.api.guards import member_for, require_read, require_scope
from rxportal.api.problems import Problem, invalid, not_found
from rxportal.api.schemas import (
    AmountProgressOut,
    DrugRefOut,
    ExplanationLineOut,
    FillOut,
    fill_out,
    money,
    number,
)
from rxportal.connected_apps.scopes import QUOTES_WRITE
from rxportal.core import clock
from rxportal.pricing import domain as pricing_domain
from rxportal.pricing import selectors
from rxportal.pricing.errors import (
    InvalidDaysSupply,
    InvalidQuantity,
    NotQuotable,
    PlanYearOver,
    PricingError,
)
from rxportal.pricing.services import create_price_quote
from rxportal.records.reads import record_phi_read, visible_members

if TYPE_CHECKING:
    from rxportal.members.models import Member
    from rxportal.pricing.models import PriceQuote
    from rxportal.pricing.selectors import CostEstimate, LimitState

router = Router(tags=["costs"])

# The channels a member may ask for (a specialty drug is priced in "specialty" whatever is asked).
MemberChannel = Literal["retail_30", "retail_90", "mail_90"]


class EstimateIn(Schema):
    drug: str = Field(description="The drug's public id (from /drugs).")
    channel: MemberChannel = "retail_30"
    quantity: Decimal | None = Field(
        default=None,
        gt=0,
        le=pricing_domain.MAX_QUANTITY,
        max_digits=10,
        decimal_places=3,
        description="Units (tablets, mL...); default: one a day for tablets, else a pack a month.",
    )
    days_supply: int | None = Field(default=None, ge=1, le=pricing_domain.MAX_DAYS_SUPPLY)
    pharmacy: str | None = Field(
        default=None, description="A retail pharmacy's public id (from /pharmacies)."
    )
    member: str | None = Field(default=None, description="A family member's public id.")


class OptionOut(Schema):
    """One channel of the side-by-side at the same daily dose, with its cost over 90 days."""

    fill: FillOut
    member_pays_per_90_days: str | None
    is_cheapest: bool
    is_chosen: bool
    saving_per_90_days: str | None  # positive: cheaper than the chosen fill


class EstimateOut(Schema):
    member: str  # public id
    chosen: FillOut
    options: list[OptionOut]
    plan_year: int
    deductible: AmountProgressOut
    out_of_pocket: AmountProgressOut
    family_deductible: AmountProgressOut | None
    family_out_of_pocket: AmountProgressOut | None


def _limit(state: LimitState | None) -> AmountProgressOut | None:
    if state is None:
        return None
    return AmountProgressOut(
        used=money(state.met), maximum=money(state.limit), left=money(state.left)
    )


def _estimate(request: HttpRequest, values: EstimateIn, where: str) -> tuple[Member, CostEstimate]:
    """The estimate for these inputs, as the estimator page makes it; bad input is a 422
    naming the field (``where``: "query" or "body")."""
    person = member_for(request, values.member)
    drug = selectors.find_drug_by_public_id(values.drug)
    if drug is None:
        raise invalid(f"{where}.drug", _("No drug with this id."), code="not-found")
    pharmacy = None
    if values.pharmacy:
        pharmacy = selectors.find_pharmacy_by_public_id(values.pharmacy)
        if pharmacy is None:
            raise invalid(f"{where}.pharmacy", _("No pharmacy with this id."), code="not-found")
    try:
        estimate = selectors.get_cost_estimate(
            member=person,
            drug=drug,
            channel=values.channel,
            days_supply=values.days_supply,
            quantity=values.quantity,
            pharmacy=pharmacy,
            today=clock.today(),
        )
    except InvalidQuantity as error:
        raise invalid(f"{where}.quantity", error.message, code=error.code) from None
    except InvalidDaysSupply as error:
        raise invalid(f"{where}.days_supply", error.message, code=error.code) from None
    except PricingError as error:
        raise invalid(f"{where}.channel", error.message, code=error.code) from None
    return person, estimate


@router.get(
    "/estimate",
    response={200: EstimateOut},
    summary="What a fill would cost the member",
)
def get_estimate(request: HttpRequest, values: Query[EstimateIn]) -> EstimateOut:
    """Needs ``patient/Coverage.read``. Today's accumulators; the other channels at the same
    daily dose are in ``options``."""
    require_read(request, "Coverage")
    person, estimate = _estimate(request, values, "query")
    record_phi_read(
        reader_for(request),
        action="phi.cost_estimate.viewed",
        subject=person,
        details={
            "channel": estimate.chosen.channel,
            "covered": estimate.chosen.covered,
            "pharmacy_chosen": estimate.chosen.pharmacy is not None,
            "options": len(estimate.options),
        },
    )
    deductible = _limit(estimate.deductible)
    out_of_pocket = _limit(estimate.oop)
    assert deductible is not None and out_of_pocket is not None
    return EstimateOut(
        member=str(person.public_id),
        chosen=fill_out(estimate.chosen),
        options=[
            OptionOut(
                fill=fill_out(option.estimate),
                member_pays_per_90_days=(
                    money(option.member_pays_per_90_days)
                    if option.member_pays_per_90_days is not None
                    else None
                ),
                is_cheapest=option.is_cheapest,
                is_chosen=option.is_chosen,
                saving_per_90_days=(
                    money(option.saving_per_90_days)
                    if option.saving_per_90_days is not None
                    else None
                ),
            )
            for option in estimate.options
        ],
        plan_year=estimate.plan_year,
        deductible=deductible,
        out_of_pocket=out_of_pocket,
        family_deductible=_limit(estimate.family_deductible),
        family_out_of_pocket=_limit(estimate.family_oop),
    )


# --- Price quotes ------------------------------------------------------------------------------


class QuoteOut(Schema):
    """A saved estimate. Valid from ``quoted_at`` until ``valid_until`` (exclusive)."""

    public_id: str
    member: str  # public id
    drug: DrugRefOut
    pharmacy: str | None  # public id
    channel: str
    tier: str
    network_status: str
    quantity: str
    days_supply: int
    unit_price: str
    total_cost: str
    member_pays: str
    plan_pays: str
    deductible_applied: str
    quoted_at: dt.datetime
    valid_until: dt.datetime
    last_valid_day: dt.date
    is_valid_now: bool
    explanation: list[ExplanationLineOut]


class QuoteListOut(Schema):
    quotes: list[QuoteOut]


def _quote_out(quote: PriceQuote) -> QuoteOut:
    now = clock.now()
    return QuoteOut(
        public_id=str(quote.public_id),
        member=str(quote.member.public_id),
        drug=DrugRefOut(public_id=str(quote.drug.public_id), name=quote.drug.name),
        pharmacy=str(quote.pharmacy.public_id) if quote.pharmacy is not None else None,
        channel=quote.channel,
        tier=quote.tier,
        network_status=quote.network_status,
        quantity=number(quote.quantity),
        days_supply=quote.days_supply,
        unit_price=str(quote.unit_price),
        total_cost=money(quote.total_cost),
        member_pays=money(quote.member_pays),
        plan_pays=money(quote.plan_pays),
        deductible_applied=money(quote.deductible_applied),
        quoted_at=quote.quoted_at,
        valid_until=quote.valid_until,
        last_valid_day=selectors.last_valid_day(quote),
        is_valid_now=quote.quoted_at <= now < quote.valid_until,
        explanation=[
            ExplanationLineOut(
                code=str(line.get("code", "")), amount=money(Decimal(line["amount"]))
            )
            for line in quote.explanation
            if isinstance(line, dict) and "amount" in line
        ],
    )


@router.post(
    "/quotes",
    response={201: QuoteOut},
    summary="Save an estimate as a price quote",
)
def create_quote(request: HttpRequest, values: EstimateIn) -> Status[QuoteOut]:
    """Needs ``quotes.write`` (it stores a quote the member can hold us to) and
    ``patient/Coverage.read`` (the answer is the estimate). The inputs are estimated again on
    the server (posted amounts are never trusted); only a covered fill can be quoted."""
    require_read(request, "Coverage")
    require_scope(request, QUOTES_WRITE)
    person, estimate = _estimate(request, values, "body")
    try:
        quote = create_price_quote(
            member=person, estimate=estimate.chosen, actor=request.user, now=clock.now()
        )
    except (NotQuotable, PlanYearOver) as error:
        raise Problem.of("not-quotable", error.message, extra={"code": error.code}) from None
    found = selectors.find_quote_for(
        viewer=request.user, public_id=quote.public_id, today=clock.today()
    )
    assert found is not None
    return Status(201, _quote_out(found))


@router.get(
    "/quotes",
    response={200: QuoteListOut},
    summary="Price quotes of the member and the family members they may see",
)
def list_quotes(request: HttpRequest) -> QuoteListOut:
    """Needs ``patient/Coverage.read``. Newest first."""
    require_read(request, "Coverage")
    reader = reader_for(request)
    family = visible_members(reader, today=clock.today())
    quotes = selectors.list_quotes_visible_to(viewer=request.user, today=clock.today())
    record_phi_read(
        reader,
        action="phi.price_quotes.viewed",
        subject=family[0] if family else None,
        details={"count": len(quotes)},
    )
    return QuoteListOut(quotes=[_quote_out(quote) for quote in quotes])


@router.get(
    "/quotes/{quote_id}",
    response={200: QuoteOut},
    summary="One price quote",
)
def get_quote(request: HttpRequest, quote_id: str) -> QuoteOut:
    """Needs ``patient/Coverage.read``."""
    require_read(request, "Coverage")
    quote = selectors.find_quote_for(viewer=request.user, public_id=quote_id, today=clock.today())
    if quote is None:
        raise not_found(_("No price quote with this id that you may see."))
    record_phi_read(
        reader_for(request),
        action="phi.price_quote.viewed",
        subject=quote,
        details={"valid_now": quote.quoted_at <= clock.now() < quote.valid_until},
    )
    return _quote_out(quote)
