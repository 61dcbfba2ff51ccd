from __future__ import annotations

from decimal import Decimal

import pytest

from rxportal.plans.errors import PlanNotFound
from rxportal.plans.models import CostShare
from rxportal.plans.selectors import benefit_design_for, get_plan_by_code, list_benefit_designs
from rxportal.pricing.engine import Channel, Tier
from tests.factories import PlanFactory


@pytest.mark.django_db
def test_get_plan_by_code_raises_plan_not_found() -> None:
    with pytest.raises(PlanNotFound) as caught:
        get_plan_by_code("NOPE")

    assert caught.value.code == "plan.not_found"


@pytest.mark.django_db
def test_benefit_design_for_maps_stored_percent_to_engine_fraction() -> None:
    plan = PlanFactory(cost_shares=[])
    CostShare.objects.create(
        plan=plan, tier="specialty", channel="specialty", coinsurance_pct=Decimal("20.00"),
        maximum=Decimal("250.00"), deductible_applies=False,
    )  # fmt: skip

    design = benefit_design_for(get_plan_by_code(plan.code))

    share = design.cost_shares[(Tier.SPECIALTY, Channel.SPECIALTY)]
    assert share.coinsurance == Decimal("0.2")
    assert share.maximum == Decimal("250.00")
    assert share.deductible_applies is False
    assert design.deductible_individual == plan.deductible_individual
    assert list_benefit_designs([plan.pk]) == {plan.pk: design}
