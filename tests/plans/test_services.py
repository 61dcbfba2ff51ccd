"""create_standard_plans against the real marketplace cost-sharing file."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from django.conf import settings

from rxportal.audit.models import AuditEvent
from rxportal.clients.models import Client, ClientKind
from rxportal.plans.errors import ReferenceDataMissing
from rxportal.plans.models import CostShare, Plan, PlanKind
from rxportal.plans.selectors import benefit_design_for
from rxportal.plans.services import create_standard_plans
from rxportal.pricing.partd import part_d_standard_design


def _csv_rows(plan_id: str, benefit_type: str, tier: str) -> list[dict[str, str]]:
    path = settings.RXPORTAL_REFERENCE_DATA_DIR / "qhp_formulary_cost_sharing.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            row
            for row in csv.DictReader(handle)
            if (row["plan_id"], row["pharmacy_benefit_type"], row["drug_tier"])
            == (plan_id, benefit_type, tier)
        ]


@pytest.mark.usefixtures("plan_prerequisites")
def test_commercial_plan_copays_come_from_the_real_file() -> None:
    create_standard_plans(plan_year=2026)
    plan = Plan.objects.get(code="QHP-10207VA0380001")

    # The file lists "$0" and "$20 after deductible" for generics here; the rule takes $20.
    csv_copays = {
        Decimal(r["copay_usd"])
        for r in _csv_rows(plan.source_plan_id, "1-month-in-retail", "generic")
    }
    generic = plan.cost_shares.get(tier="generic", channel="retail_30")
    assert generic.copay == max(csv_copays) == Decimal("20.00")
    assert generic.coinsurance_pct is None
    assert generic.deductible_applies is True
    brand = _csv_rows(plan.source_plan_id, "1-month-in-retail", "non-preferred-brand")
    assert plan.cost_shares.get(tier="non-preferred-brand", channel="retail_30").copay == Decimal(
        brand[0]["copay_usd"]
    )
    assert plan.cost_shares.get(tier="generic", channel="mail_90").copay == Decimal("20.00")
    assert plan.name == "BlueChoice HMO HSA Silver $3,000"
    assert plan.deductible_individual == Decimal("3000.00")
    assert plan.oop_max_family == Decimal("18900.00")
    assert plan.formulary.code == "Formulary-10207VA0380001"
    assert plan.network.code == "RXP-NATIONAL"
    assert (plan.rx_bin, plan.plan_year, plan.kind) == ("999999", 2026, PlanKind.COMMERCIAL)
    assert plan.client.kind == ClientKind.HEALTH_PLAN


@pytest.mark.usefixtures("plan_prerequisites")
def test_standard_plans_are_eighteen_commercial_and_two_part_d() -> None:
    plans = create_standard_plans()

    kinds = sorted(p.kind for p in plans)
    assert kinds.count(PlanKind.COMMERCIAL) == 18
    assert kinds.count(PlanKind.MEDICARE_PART_D) == 2
    assert Client.objects.filter(code__startswith="QHP-").count() == 2
    assert AuditEvent.objects.filter(action="plans.standard_plans_saved").exists()


@pytest.mark.usefixtures("plan_prerequisites")
@pytest.mark.parametrize(
    ("year", "deductible", "oop"), [(2025, "590.00", "2000.00"), (2026, "615.00", "2100.00")]
)
def test_part_d_plans_store_the_standard_benefit(year: int, deductible: str, oop: str) -> None:
    create_standard_plans()
    plan = Plan.objects.get(code=f"PARTD-STD-{year}")

    assert (plan.deductible_individual, plan.oop_max_individual) == (
        Decimal(deductible),
        Decimal(oop),
    )
    assert plan.deductible_family is None
    assert plan.insulin_monthly_cap == Decimal("35.00")
    assert plan.client.kind == ClientKind.MEDICARE
    assert plan.formulary.code == "Formulary-10207VA0380001"
    assert set(plan.cost_shares.values_list("coinsurance_pct", flat=True)) == {Decimal("25.00")}
    assert benefit_design_for(plan) == part_d_standard_design(year)


@pytest.mark.usefixtures("plan_prerequisites")
def test_running_twice_changes_nothing() -> None:
    create_standard_plans()
    before = list(CostShare.objects.order_by("pk").values())

    create_standard_plans()

    assert list(CostShare.objects.order_by("pk").values()) == before
    assert Plan.objects.count() == 20


@pytest.mark.django_db
def test_without_imported_reference_data_the_error_says_what_to_run() -> None:
    with pytest.raises(ReferenceDataMissing) as caught:
        create_standard_plans()

    assert caught.value.code == "plan.reference_data_missing"
    assert "import_reference_data" in caught.value.message
    assert not Plan.objects.exists()
