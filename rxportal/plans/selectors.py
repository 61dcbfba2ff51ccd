"""Reads of plans and their benefit designs."""

from __future__ import annotations

from collections.abc import Iterable

from rxportal.plans.domain import CostShareValues, PlanValues, to_benefit_design
from rxportal.plans.errors import PlanNotFound
from rxportal.plans.models import CostShare, Plan
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
