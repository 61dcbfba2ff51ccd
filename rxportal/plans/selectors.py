"""Reads of plans and their benefit designs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rxportal.plans.domain import CostShareValues, PlanValues, to_benefit_design
from rxportal.plans.errors import PlanNotFound
from rxportal.plans.models import Channel, CostShare, Plan, Tier
from rxportal.pricing.engine import BenefitDesign


def get_plan_by_code(code: str) -> Plan:
    """The plan with this code (cost shares prefetched), or PlanNotFound."""
    plan = (
        Plan.objects.select_related("client", "formulary", "network")
        .prefetch_related("cost_shares")
        .filter(code=code)
        .first()
    )
    if plan is None:
        raise PlanNotFound(f"No plan with code {code!r}.", plan_code=code)
    return plan


def plan_values(plan: Plan) -> PlanValues:
    return PlanValues(
        code=plan.code,
        plan_year=plan.plan_year,
        deductible_individual=plan.deductible_individual,
        oop_max_individual=plan.oop_max_individual,
        deductible_family=plan.deductible_family,
        oop_max_family=plan.oop_max_family,
        insulin_monthly_cap=plan.insulin_monthly_cap,
        out_of_network_covered=plan.out_of_network_covered,
    )


def _cost_share_values(rows: Iterable[CostShare]) -> list[CostShareValues]:
    return [
        CostShareValues(
            tier=row.tier,
            channel=row.channel,
            copay=row.copay,
            coinsurance_pct=row.coinsurance_pct,
            minimum=row.minimum,
            maximum=row.maximum,
            deductible_applies=row.deductible_applies,
        )
        for row in rows
    ]


def benefit_design_for(plan: Plan) -> BenefitDesign:
    """The engine's BenefitDesign for a plan: the one mapping every caller uses.

    Uses prefetched `cost_shares` when present (one query otherwise).
    """
    return to_benefit_design(
        plan=plan_values(plan), cost_shares=_cost_share_values(plan.cost_shares.all())
    )


def list_benefit_designs(plan_ids: Iterable[int] | None = None) -> dict[int, BenefitDesign]:
    """BenefitDesign per plan primary key, in two queries (for bulk pricing)."""
    plans = Plan.objects.prefetch_related("cost_shares")
    if plan_ids is not None:
        plans = plans.filter(pk__in=list(plan_ids))
    return {plan.pk: benefit_design_for(plan) for plan in plans}


def list_plans(*, codes: Iterable[str] | None = None) -> list[Plan]:
    plans = Plan.objects.select_related("client", "formulary", "network").order_by("code")
    if codes is not None:
        plans = plans.filter(code__in=list(codes))
    return list(plans)


# --- The member's tier table: cost share by tier and channel ---------------------------------

# Channels in the order members compare them, and how many 30-day fills a 90-day fill priced
# from the 30-day row counts as (the benefit engine's documented fallback, see
# pricing.engine._find_cost_share; tests/web check the table agrees with the engine).
COST_SHARE_TABLE_CHANNELS: tuple[str, ...] = (
    Channel.RETAIL_30,
    Channel.RETAIL_90,
    Channel.MAIL_90,
    Channel.SPECIALTY,
)
_FALLBACKS: dict[str, tuple[tuple[str, int], ...]] = {
    Channel.RETAIL_90: ((Channel.RETAIL_30, 3),),
    Channel.MAIL_90: ((Channel.RETAIL_90, 1), (Channel.RETAIL_30, 3)),
}


@dataclass(frozen=True)
class CostShareCell:
    """What a member pays for one tier in one channel: the stored row that applies (None: not
    covered), from which channel it comes, and how many 30-day fills one fill is charged as."""

    channel: str
    cost_share: CostShare | None
    source_channel: str | None = None
    fills: int = 1

    @property
    def covered(self) -> bool:
        return self.cost_share is not None

    @property
    def is_fallback(self) -> bool:
        return self.source_channel is not None and self.source_channel != self.channel


@dataclass(frozen=True)
class CostShareTableRow:
    tier: str  # Tier value (the page names it: the ``tier_name`` template filter)
    cells: list[CostShareCell]


@dataclass(frozen=True)
class CostShareTable:
    channels: list[str]  # Channel values, in column order (``channel_name`` filter)
    rows: list[CostShareTableRow]


def list_cost_share_table(*, plan: Plan) -> CostShareTable:
    """The plan's cost shares as a table: a row per tier the plan prices (in tier order), a
    cell per channel (retail 30, retail 90, mail 90, specialty). A channel without a row of its
    own shows the row the engine falls back to (mail 90 -> retail 90 -> retail 30 as three
    fills); anything else is not covered. Uses prefetched `cost_shares` (one query otherwise).
    """
    shares = {(row.tier, row.channel): row for row in plan.cost_shares.all()}
    rows = []
    for tier in Tier.values:
        if not any(row_tier == tier for row_tier, _channel in shares):
            continue
        cells = [
            _cost_share_cell(shares, tier=tier, channel=channel)
            for channel in COST_SHARE_TABLE_CHANNELS
        ]
        rows.append(CostShareTableRow(tier=tier, cells=cells))
    return CostShareTable(channels=list(COST_SHARE_TABLE_CHANNELS), rows=rows)


def _cost_share_cell(
    shares: dict[tuple[str, str], CostShare], *, tier: str, channel: str
) -> CostShareCell:
    own = shares.get((tier, channel))
    if own is not None:
        return CostShareCell(channel=channel, cost_share=own, source_channel=channel)
    for source, fills in _FALLBACKS.get(channel, ()):
        row = shares.get((tier, source))
        if row is not None:
            return CostShareCell(
                channel=channel, cost_share=row, source_channel=source, fills=fills
            )
    return CostShareCell(channel=channel, cost_share=None)
