"""Estimates: what a fill will cost a member (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from rxportal.claims.models import Accumulator, AccumulatorScope
from rxportal.formulary.models import Drug, FormularyEntry
from rxportal.members.models import Member
from rxportal.pharmacies.models import NetworkPharmacy, Pharmacy
from rxportal.pharmacies.selectors import (
    NearbyPharmacy,
    find_zip_centroid,
    list_nearby_pharmacies,
)
from rxportal.plans.models import Plan
from rxportal.plans.selectors import benefit_design_for
from rxportal.pricing import domain
from rxportal.pricing.engine import (
    Accumulators,
    Adjudication,
    BenefitDesign,
    Channel,
    ClaimInput,
    NetworkStatus,
    NotCovered,
    Tier,
    adjudicate,
)
from rxportal.pricing.errors import (
    InvalidDaysSupply,
    InvalidQuantity,
    PricingError,
    UnknownChannel,
)

Viewer = AbstractBaseUser | AnonymousUser
ZERO = domain.ZERO
# The estimator offers these three; SPECIALTY is chosen for specialty drugs (module docstring).
MEMBER_CHANNELS: tuple[Channel, ...] = (Channel.RETAIL_30, Channel.RETAIL_90, Channel.MAIL_90)
NEARBY_PHARMACY_RADIUS_MILES = 25.0
NEARBY_PHARMACY_LIMIT = 10
DRUG_MATCH_LIMIT = 10


# --- Estimates ---------------------------------------------------------------------------------


class NotCoveredReason(StrEnum):
    """Why an estimate has no plan payment (the page says it: ``pricing.presentation``)."""

    NOT_ON_FORMULARY = "not_on_formulary"
    NO_PRICE = "no_price"
    NOT_BY_MAIL = "not_by_mail"
    QUANTITY_LIMIT = "quantity_limit"  # the limit's figures: FillEstimate.quantity_limit
    TIER_NOT_COVERED_ON_CHANNEL = "tier_not_covered_on_channel"


class EstimateNote(StrEnum):
    """Something the member should know about a fill, covered or not."""

    SPECIALTY_PHARMACY = "specialty_pharmacy"  # filled by our specialty pharmacy, 30 days
    PRIOR_AUTHORIZATION = "prior_authorization"
    STEP_THERAPY = "step_therapy"


@dataclass(frozen=True)
class QuantityLimit:
    """The plan's quantity limit that refused a fill: at most ``allowed`` units for ``days``
    days' supply (the rule: ``amount`` per ``period_days`` days)."""

    allowed: Decimal
    days: int
    amount: int
    period_days: int


@dataclass(frozen=True)
class FillEstimate:
    """What one fill of a drug would cost the member today, with the engine's reasons.

    Facts only (codes and amounts): the pages say them through ``pricing.presentation`` (and
    its template filters), the APIs serialize the codes; the engine's explanation lines are
    ``adjudication.explanation``."""

    drug: Drug
    covered: bool
    tier: str | None  # plans.models.Tier value on the member's formulary; None if not on it
    channel: str  # plans.models.Channel value actually priced (specialty drugs: "specialty")
    quantity: Decimal
    days_supply: int
    pharmacy: Pharmacy | None
    network_status: str  # engine.NetworkStatus value
    unit_price: Decimal  # typical price per dispense unit (Drug.unit_cost_mode)
    total_cost: Decimal
    adjudication: Adjudication | None  # None when not covered
    not_covered: NotCoveredReason | None  # None when covered
    accumulators: Accumulators  # the state (before this fill) the estimate used
    requested_channel: str = ""
    is_insulin: bool = False
    note_codes: tuple[EstimateNote, ...] = ()
    quantity_limit: QuantityLimit | None = None  # when not_covered is QUANTITY_LIMIT

    @property
    def member_pays(self) -> Decimal | None:
        return self.adjudication.member_pays if self.adjudication is not None else None

    @property
    def plan_pays(self) -> Decimal | None:
        return self.adjudication.plan_pays if self.adjudication is not None else None

    @property
    def member_pays_per_90_days(self) -> Decimal | None:
        """What the member pays for 90 days of this drug at this price (three 30-day fills)."""
        if self.adjudication is None:
            return None
        return domain.compute_cost_over_span(
            amount=self.adjudication.member_pays, days_supply=self.days_supply
        )

    @property
    def is_quotable(self) -> bool:
        return self.covered and self.adjudication is not None


@dataclass(frozen=True)
class _PricingContext:
    """Everything about the member and drug that does not depend on the fill's inputs."""

    member: Member
    plan: Plan
    design: BenefitDesign
    entry: FormularyEntry | None
    accumulators: Accumulators


def _load_context(*, member: Member, drug: Drug) -> _PricingContext:
    return _load_contexts(member=member, drugs=[drug])[drug.pk]


def _load_contexts(*, member: Member, drugs: Sequence[Drug]) -> dict[int, _PricingContext]:
    """One context per drug, sharing one read of the plan, its design and the accumulators."""
    plan = (
        Plan.objects.select_related("formulary", "network")
        .prefetch_related("cost_shares")
        .get(pk=member.plan_id)
    )
    entries = {
        entry.drug_id: entry
        for entry in FormularyEntry.objects.filter(
            formulary_id=plan.formulary_id, drug__in=[drug.pk for drug in drugs]
        )
    }
    design = benefit_design_for(plan)
    accumulators = current_accumulators(member=member, plan=plan)
    return {
        drug.pk: _PricingContext(
            member=member,
            plan=plan,
            design=design,
            entry=entries.get(drug.pk),
            accumulators=accumulators,
        )
        for drug in drugs
    }


def current_accumulators(*, member: Member, plan: Plan) -> Accumulators:
    """The member's individual and family (subscriber-keyed) amounts met this plan year."""
    head_id = member.family_head_id
    rows = Accumulator.objects.filter(
        plan=plan, plan_year=plan.plan_year, member_id__in={member.pk, head_id}
    ).values_list("member_id", "scope", "deductible_met", "oop_met")
    individual = (ZERO, ZERO)
    family = (ZERO, ZERO)
    for member_id, scope, deductible, oop in rows:
        if member_id == member.pk and scope == AccumulatorScope.INDIVIDUAL:
            individual = (deductible, oop)
        if member_id == head_id and scope == AccumulatorScope.FAMILY:
            family = (deductible, oop)
    return Accumulators(
        deductible_met=individual[0],
        oop_met=individual[1],
        family_deductible_met=family[0],
        family_oop_met=family[1],
    )


def _network_status(*, plan: Plan, pharmacy: Pharmacy | None) -> NetworkStatus:
    if pharmacy is None:
        return NetworkStatus.IN_NETWORK
    membership = (
        NetworkPharmacy.objects.filter(network_id=plan.network_id, pharmacy_id=pharmacy.pk)
        .values_list("is_preferred", flat=True)
        .first()
    )
    if membership is None:
        return NetworkStatus.OUT_OF_NETWORK
    return NetworkStatus.PREFERRED if membership else NetworkStatus.IN_NETWORK


def _parse_channel(channel: str) -> Channel:
    try:
        return Channel(channel)
    except ValueError:
        raise UnknownChannel(channel=str(channel)) from None


def _priced_channel(ctx: _PricingContext, requested: Channel) -> Channel:
    entry = ctx.entry
    if entry is None:
        return requested
    is_specialty = entry.is_specialty or entry.tier == Tier.SPECIALTY
    if is_specialty and (Tier(entry.tier), Channel.SPECIALTY) in ctx.design.cost_shares:
        return Channel.SPECIALTY
    return requested


def _check_inputs(*, quantity: Decimal | None, days_supply: int | None, channel: Channel) -> None:
    if quantity is not None:
        if not quantity.is_finite() or quantity <= 0:
            raise InvalidQuantity(quantity=str(quantity))
        if quantity > domain.MAX_QUANTITY:
            raise InvalidQuantity(quantity=str(quantity), max=str(domain.MAX_QUANTITY))
    if days_supply is not None:
        if days_supply < 1 or days_supply > domain.MAX_DAYS_SUPPLY:
            raise InvalidDaysSupply(days_supply=days_supply, max=domain.MAX_DAYS_SUPPLY)
        most = domain.MAX_DAYS_FOR_CHANNEL[channel]
        if days_supply > most:
            raise InvalidDaysSupply(days_supply=days_supply, channel=channel.value, most=most)


def _price(
    ctx: _PricingContext,
    *,
    drug: Drug,
    channel: Channel,
    days_supply: int | None,
    quantity: Decimal | None,
    pharmacy: Pharmacy | None,
    network_status: NetworkStatus | None = None,
) -> FillEstimate:
    requested = channel
    channel = _priced_channel(ctx, requested)
    _check_inputs(quantity=quantity, days_supply=days_supply, channel=channel)
    days = days_supply if days_supply is not None else domain.DEFAULT_DAYS_SUPPLY[channel]
    if quantity is None:
        quantity = Decimal(
            domain.compute_units_per_fill(drug_name=drug.name, days_supply=days, per_day=1)
        )
    if channel in (Channel.MAIL_90, Channel.SPECIALTY):
        # Our own mail-order / specialty pharmacy fills these, always in network.
        pharmacy = None
    if network_status is None:
        network_status = _network_status(plan=ctx.plan, pharmacy=pharmacy)
    unit_price = drug.unit_cost_mode if drug.unit_cost_mode is not None else ZERO
    total_cost = domain.compute_drug_cost(unit_price=unit_price, quantity=quantity)
    entry = ctx.entry
    notes: list[EstimateNote] = []
    if channel is Channel.SPECIALTY and requested is not Channel.SPECIALTY:
        notes.append(EstimateNote.SPECIALTY_PHARMACY)

    def refuse(reason: NotCoveredReason, limit: QuantityLimit | None = None) -> FillEstimate:
        return FillEstimate(
            drug=drug,
            covered=False,
            tier=entry.tier if entry is not None else None,
            channel=channel.value,
            quantity=quantity,
            days_supply=days,
            pharmacy=pharmacy,
            network_status=network_status.value,
            unit_price=unit_price,
            total_cost=total_cost,
            adjudication=None,
            not_covered=reason,
            accumulators=ctx.accumulators,
            requested_channel=requested.value,
            is_insulin=drug.is_insulin,
            note_codes=tuple(notes),
            quantity_limit=limit,
        )

    if entry is None:
        return refuse(NotCoveredReason.NOT_ON_FORMULARY)
    if entry.prior_authorization:
        notes.append(EstimateNote.PRIOR_AUTHORIZATION)
    if entry.step_therapy:
        notes.append(EstimateNote.STEP_THERAPY)
    if drug.unit_cost_mode is None:
        return refuse(NotCoveredReason.NO_PRICE)
    if channel is Channel.MAIL_90 and not entry.mail_eligible:
        return refuse(NotCoveredReason.NOT_BY_MAIL)
    if entry.quantity_limit_amount and entry.quantity_limit_days:
        allowed = domain.compute_quantity_limit_for_fill(
            amount=entry.quantity_limit_amount,
            period_days=entry.quantity_limit_days,
            days_supply=days,
        )
        if quantity > allowed:
            # A plan rule, not a typing mistake: shown as "not covered" with the limit.
            return refuse(
                NotCoveredReason.QUANTITY_LIMIT,
                QuantityLimit(
                    allowed=allowed,
                    days=days,
                    amount=entry.quantity_limit_amount,
                    period_days=entry.quantity_limit_days,
                ),
            )
    claim = ClaimInput(
        tier=Tier(entry.tier),
        drug_cost=total_cost,
        days_supply=days,
        channel=channel,
        is_insulin=drug.is_insulin,
        network_status=network_status,
    )
    try:
        result = adjudicate(ctx.design, ctx.accumulators, claim)
    except NotCovered:
        return refuse(NotCoveredReason.TIER_NOT_COVERED_ON_CHANNEL)
    return FillEstimate(
        drug=drug,
        covered=True,
        tier=entry.tier,
        channel=channel.value,
        quantity=quantity,
        days_supply=days,
        pharmacy=pharmacy,
        network_status=network_status.value,
        unit_price=unit_price,
        total_cost=result.total_cost,
        adjudication=result,
        not_covered=None,
        accumulators=ctx.accumulators,
        requested_channel=requested.value,
        is_insulin=drug.is_insulin,
        note_codes=tuple(notes),
    )


def estimate_fill(
    *,
    member: Member,
    drug: Drug,
    channel: str,
    days_supply: int | None = None,
    quantity: Decimal | None = None,
    pharmacy: Pharmacy | None = None,
    today: dt.date | None = None,
) -> FillEstimate:
    """What one fill would cost `member` with today's accumulators (engine.adjudicate).

    Defaults: 30 days for retail_30, 90 for retail_90 / mail_90 (30 for specialty); quantity
    is one unit a day for tablets and capsules, else a pack per month (domain). The price is
    the drug's typical price per dispense unit (Drug.unit_cost_mode) x quantity.

    A fill the plan will not pay for (not on the formulary, no price, mail not allowed, over the
    quantity limit, tier not priced in the channel) gives covered=False with a reason.
    Raises InvalidQuantity / InvalidDaysSupply / UnknownChannel for bad input.
    """
    del today  # accumulators are the plan year's current rows; kept for a stable signature
    requested = _parse_channel(channel)
    ctx = _load_context(member=member, drug=drug)
    return _price(
        ctx,
        drug=drug,
        channel=requested,
        days_supply=days_supply,
        quantity=quantity,
        pharmacy=pharmacy,
    )


def estimate_fills(
    *, member: Member, drugs: Sequence[Drug], channel: str, today: dt.date | None = None
) -> dict[int, FillEstimate]:
    """``estimate_fill`` with the default quantity for several drugs (a drug page and its
    alternatives), keyed by drug pk: the plan, its design and the accumulators are read once."""
    del today
    requested = _parse_channel(channel)
    contexts = _load_contexts(member=member, drugs=drugs)
    return {
        drug.pk: _price(
            contexts[drug.pk],
            drug=drug,
            channel=requested,
            days_supply=None,
            quantity=None,
            pharmacy=None,
        )
        for drug in drugs
    }


def list_fill_options(
    *,
    member: Member,
    drug: Drug,
    quantity_per_day: Decimal | None = None,
    pharmacy: Pharmacy | None = None,
    today: dt.date | None = None,
) -> list[FillEstimate]:
    """Retail 30, retail 90 and mail 90 for the same daily dose, for the side-by-side.

    `quantity_per_day` None uses the default quantity per channel. A specialty drug priced in
    the specialty channel has one option only. Compare them with `compare_fill_options`.
    """
    del today
    ctx = _load_context(member=member, drug=drug)
    network_status = _network_status(plan=ctx.plan, pharmacy=pharmacy)
    options: list[FillEstimate] = []
    seen: set[str] = set()
    for channel in MEMBER_CHANNELS:
        days = domain.DEFAULT_DAYS_SUPPLY[channel]
        quantity = None
        if quantity_per_day is not None:
            quantity = (quantity_per_day * days).quantize(Decimal("0.001"))
        try:
            estimate = _price(
                ctx,
                drug=drug,
                channel=channel,
                days_supply=None,
                quantity=quantity,
                pharmacy=pharmacy,
                network_status=network_status if channel is not Channel.MAIL_90 else None,
            )
        except PricingError:
            continue  # e.g. a daily dose whose 90-day quantity is over the bad-input bound
        if estimate.channel in seen:
            continue
        seen.add(estimate.channel)
        options.append(estimate)
    return options


@dataclass(frozen=True)
class OptionComparison:
    """One option of the side-by-side, with what it costs over 90 days.

    `saving_per_90_days` is what this option saves against the chosen one over 90 days
    (positive: cheaper than the chosen option; None when either is not priced).
    """

    estimate: FillEstimate
    member_pays_per_90_days: Decimal | None
    is_cheapest: bool
    is_chosen: bool
    saving_per_90_days: Decimal | None

    @property
    def extra_per_90_days(self) -> Decimal | None:
        """How much more than the chosen option this one costs over 90 days (>= 0), or None."""
        if self.saving_per_90_days is None or self.saving_per_90_days >= 0:
            return None
        return -self.saving_per_90_days


def compare_fill_options(
    *, options: Sequence[FillEstimate], chosen: FillEstimate | None
) -> list[OptionComparison]:
    """Mark the cheapest options per 90 days (all of them on a tie) and each option's saving
    against `chosen`.

    Over 90 days means three 30-day fills against one 90-day fill, each priced with today's
    accumulators (later fills may cost less once the deductible is met).
    """
    per_90 = [option.member_pays_per_90_days for option in options]
    cheapest = domain.find_cheapest_indexes(per_90)
    chosen_per_90 = chosen.member_pays_per_90_days if chosen is not None else None
    rows = []
    for index, option in enumerate(options):
        cost = per_90[index]
        is_chosen = chosen is not None and option.channel == chosen.channel
        saving = None
        if cost is not None and chosen_per_90 is not None:
            saving = chosen_per_90 - cost
        rows.append(
            OptionComparison(
                estimate=option,
                member_pays_per_90_days=cost,
                is_cheapest=index in cheapest,
                is_chosen=is_chosen,
                saving_per_90_days=saving,
            )
        )
    return rows


@dataclass(frozen=True)
class LimitState:
    """One plan-year limit as the estimate saw it: met so far, the limit, what is left."""

    met: Decimal
    limit: Decimal

    @property
    def left(self) -> Decimal:
        return max(self.limit - self.met, ZERO)


@dataclass(frozen=True)
class CostEstimate:
    """The estimator page's result: the chosen fill, the other options, the limits used."""

    chosen: FillEstimate
    options: list[OptionComparison]
    plan_year: int
    deductible: LimitState
    oop: LimitState
    family_deductible: LimitState | None
    family_oop: LimitState | None

    @property
    def cheapest(self) -> OptionComparison | None:
        return next((row for row in self.options if row.is_cheapest), None)


def get_cost_estimate(
    *,
    member: Member,
    drug: Drug,
    channel: str,
    days_supply: int | None = None,
    quantity: Decimal | None = None,
    pharmacy: Pharmacy | None = None,
    today: dt.date | None = None,
) -> CostEstimate:
    """estimate_fill for the chosen inputs plus the other channels at the same daily dose."""
    chosen = estimate_fill(
        member=member,
        drug=drug,
        channel=channel,
        days_supply=days_supply,
        quantity=quantity,
        pharmacy=pharmacy,
        today=today,
    )
    per_day = chosen.quantity / Decimal(chosen.days_supply)
    options = list_fill_options(
        member=member, drug=drug, quantity_per_day=per_day, pharmacy=pharmacy, today=today
    )
    plan = member.plan
    used = chosen.accumulators
    has_family = member.subscriber_id is not None or member.dependents.exists()
    family_deductible = family_oop = None
    if has_family and plan.deductible_family is not None:
        family_deductible = LimitState(used.family_deductible_met, plan.deductible_family)
    if has_family and plan.oop_max_family is not None:
        family_oop = LimitState(used.family_oop_met, plan.oop_max_family)
    return CostEstimate(
        chosen=chosen,
        options=compare_fill_options(options=options, chosen=chosen),
        plan_year=plan.plan_year,
        deductible=LimitState(used.deductible_met, plan.deductible_individual),
        oop=LimitState(used.oop_met, plan.oop_max_individual),
        family_deductible=family_deductible,
        family_oop=family_oop,
    )


# --- Drugs and pharmacies for the estimator form -----------------------------------------------


def find_drug_by_public_id(public_id: str | uuid.UUID) -> Drug | None:
    try:
        value = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return Drug.objects.filter(public_id=value).first()


def list_drugs_matching(text: str, *, limit: int = DRUG_MATCH_LIMIT) -> list[Drug]:
    """Exact name (case-insensitive) first; else drugs whose name or brand contains the text."""
    text = " ".join(text.split())
    if not text:
        return []
    exact = list(Drug.objects.filter(name__iexact=text)[:1])
    if exact:
        return exact
    return list(
        Drug.objects.filter(Q(name__icontains=text) | Q(brand_name__icontains=text)).order_by(
            "name"
        )[:limit]
    )


def list_estimator_pharmacies(*, member: Member) -> list[NearbyPharmacy]:
    """The in-network pharmacies nearest the member's home ZIP (for the estimator's select)."""
    centroid = find_zip_centroid(member.zip_code[:5])
    if centroid is None:
        return []
    nearby = list_nearby_pharmacies(
        latitude=centroid.latitude,
        longitude=centroid.longitude,
        radius_miles=NEARBY_PHARMACY_RADIUS_MILES,
        network=member.plan.network,
        kinds=("retail",),
        limit=NEARBY_PHARMACY_LIMIT * 3,
    )
    return [p for p in nearby if p.in_network][:NEARBY_PHARMACY_LIMIT]


def find_pharmacy_by_public_id(public_id: str | uuid.UUID) -> Pharmacy | None:
    try:
        value = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return Pharmacy.objects.filter(public_id=value).first()
