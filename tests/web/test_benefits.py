"""The benefits summary: plan year, accumulators and the tier table, equal to the stored plan
and to what the benefit engine does with it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.formats import date_format

from rxportal.audit.models import AuditEvent
from rxportal.claims.models import AccumulatorScope
from rxportal.claims.selectors import get_accumulator_summary
from rxportal.plans.models import Channel, Tier
from rxportal.plans.selectors import benefit_design_for, list_cost_share_table
from rxportal.pricing import engine
from rxportal.web.selectors import find_benefits_summary
from rxportal.web.templatetags.benefits import cost_share_amount
from tests.conftest import Family
from tests.factories import (
    AccumulatorFactory,
    CostShareFactory,
    MemberFactory,
    PlanFactory,
    UserFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db
URL = reverse("web:benefits")


def _html(response) -> str:
    return response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={URL}"


def test_non_members_get_the_member_tools_page(client: Client) -> None:
    client.force_login(UserFactory(role="advisor"))

    assert client.get(URL).status_code == 403


def test_benefits_show_plan_year_and_accumulators(client: Client, family: Family) -> None:
    plan = family.subscriber.plan
    AccumulatorFactory(member=family.subscriber, deductible_met=D("100.00"), oop_met=D("425.50"))
    AccumulatorFactory(
        member=family.subscriber,
        scope=AccumulatorScope.FAMILY,
        deductible_met=D("180.00"),
        oop_met=D("900.00"),
    )
    client.force_login(family.subscriber.user)

    response = client.get(URL)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = _html(response)
    assert html.count("<h1") == 1
    assert plan.name in html
    start = date_format(dt.date(plan.plan_year, 1, 1), "DATE_FORMAT")
    end = date_format(dt.date(plan.plan_year, 12, 31), "DATE_FORMAT")
    assert f"{start} to {end}" in html
    summary = get_accumulator_summary(viewer=family.subscriber.user, plan_year=plan.plan_year)
    assert summary is not None and summary.family_deductible and summary.family_oop
    for progress_id, progress in (
        ("benefits-individual-deductible", summary.individual_deductible),
        ("benefits-individual-oop", summary.individual_oop),
        ("benefits-family-deductible", summary.family_deductible),
        ("benefits-family-oop", summary.family_oop),
    ):
        assert re.search(
            rf'<progress id="{progress_id}" max="{progress.maximum}" '
            rf'value="{progress.used_within_maximum}"',
            html,
        )
    assert "$100.00 of $250.00 used, $150.00 left" in html
    assert "$425.50 of $3,000.00 used, $2,574.50 left" in html
    assert "$180.00 of $500.00 used, $320.00 left" in html
    assert "$900.00 of $6,000.00 used, $5,100.00 left" in html


def test_viewing_benefits_is_audited(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    client.get(URL)

    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert (event.action, event.outcome) == ("phi.benefits.viewed", "success")
    assert event.subject_id == str(family.subscriber.public_id)
    assert event.details == {"edge": "web", "plan_year": family.subscriber.plan.plan_year}


def _cell(html: str, tier: str, channel: str) -> str:
    row = re.search(rf'<tr data-tier="{tier}">(.*?)</tr>', html, re.S)
    assert row, tier
    cell = re.search(rf'<td data-channel="{channel}"[^>]*>(.*?)</td>', row.group(1), re.S)
    assert cell, (tier, channel)
    return " ".join(re.sub(r"<[^>]+>", " ", cell.group(1)).split())


def test_tier_table_shows_each_rows_cost_share_by_channel(client: Client, family: Family) -> None:
    # The standard plan: generic $10 retail 30 / $20 mail 90 (no deductible); preferred brand
    # $40 / $80 (deductible); non-preferred 40% (min $50, max $150) retail 30 only; specialty
    # 25% (min $100, max $250) at specialty pharmacies only; preventive $0.
    client.force_login(family.subscriber.user)

    html = _html(client.get(URL))

    assert (
        '<caption id="tiers-caption">' in html and 'scope="col"' in html and 'scope="row"' in html
    )
    assert _cell(html, Tier.GENERIC, Channel.RETAIL_30) == "$10"
    assert _cell(html, Tier.GENERIC, Channel.MAIL_90) == "$20"
    assert _cell(html, Tier.GENERIC, Channel.RETAIL_90) == "$10 charged as 3 retail 30-day fills"
    assert _cell(html, Tier.GENERIC, Channel.SPECIALTY) == "Not covered"
    assert _cell(html, Tier.PREFERRED_BRAND, Channel.RETAIL_30) == "$40 after the deductible"
    assert (
        _cell(html, Tier.NON_PREFERRED_BRAND, Channel.RETAIL_30)
        == "40% (min $50, max $150) after the deductible"
    )
    assert _cell(html, Tier.NON_PREFERRED_BRAND, Channel.MAIL_90) == (
        "40% (min $50, max $150) charged as 3 retail 30-day fills after the deductible"
    )
    assert (
        _cell(html, Tier.SPECIALTY, Channel.SPECIALTY)
        == "25% (min $100, max $250) after the deductible"
    )
    assert _cell(html, Tier.SPECIALTY, Channel.RETAIL_30) == "Not covered"
    assert _cell(html, Tier.ZERO_COST_SHARE_PREVENTATIVE, Channel.RETAIL_30) == "$0"
    assert 'data-tier="preferred-generic"' not in html  # a tier the plan does not price


def test_tier_table_cells_are_the_plans_rows(family: Family) -> None:
    plan = family.subscriber.plan
    stored = {(row.tier, row.channel): row for row in plan.cost_shares.all()}

    table = list_cost_share_table(plan=plan)

    assert table.channels == [
        Channel.RETAIL_30,
        Channel.RETAIL_90,
        Channel.MAIL_90,
        Channel.SPECIALTY,
    ]
    for row in table.rows:
        for cell in row.cells:
            if (row.tier, cell.channel) in stored:
                assert cell.cost_share == stored[(row.tier, cell.channel)]
                assert cell.fills == 1 and not cell.is_fallback


@pytest.mark.parametrize(
    "rows",
    [
        None,  # the standard rows
        [
            (Tier.GENERIC, Channel.RETAIL_30, D("5"), None, None, None, False),
            (Tier.GENERIC, Channel.RETAIL_90, D("12"), None, None, None, False),
            (Tier.SPECIALTY, Channel.SPECIALTY, None, D("20"), None, D("300"), True),
        ],
    ],
)
def test_tier_table_agrees_with_the_engine_on_every_cell(rows: list | None) -> None:
    plan = PlanFactory() if rows is None else PlanFactory(cost_shares=rows)
    design = benefit_design_for(plan)
    cost = D("1000.00")
    spent = engine.Accumulators(
        deductible_met=plan.deductible_individual, family_deductible_met=D("500.00")
    )

    for row in list_cost_share_table(plan=plan).rows:
        for cell in row.cells:
            claim = engine.ClaimInput(
                tier=engine.Tier(row.tier),
                drug_cost=cost,
                days_supply=30 if cell.channel == Channel.RETAIL_30 else 90,
                channel=engine.Channel(cell.channel),
            )
            if not cell.covered:
                with pytest.raises(engine.NotCovered):
                    engine.adjudicate(design, spent, claim)
                continue
            paid = engine.adjudicate(design, spent, claim).member_pays
            share = cell.cost_share
            assert share is not None
            if share.copay is not None:
                assert paid == min(share.copay * cell.fills, cost)
            else:
                assert share.coinsurance_pct is not None
                low = (share.minimum or D(0)) * cell.fills
                high = share.maximum * cell.fills if share.maximum is not None else cost
                expected = min(max(cost * share.coinsurance_pct / 100, low), high, cost)
                assert paid == expected.quantize(D("0.01"))


def test_cost_share_amounts_read_like_a_benefit_summary() -> None:
    plan = PlanFactory(cost_shares=[])

    def share(**fields: object) -> str:
        return cost_share_amount(CostShareFactory.build(plan=plan, **fields))

    assert share(copay=D("10.00")) == "$10"
    assert share(copay=D("7.50")) == "$7.50"
    assert share(copay=None, coinsurance_pct=D("25.00")) == "25%"
    assert share(copay=None, coinsurance_pct=D("12.50"), minimum=D("5")) == "12.5% (min $5)"
    assert share(copay=None, coinsurance_pct=D("20"), maximum=D("99.99")) == "20% (max $99.99)"
    assert cost_share_amount(None) == "Not covered"


def test_insulin_cap_is_shown_when_the_plan_has_one(client: Client) -> None:
    plan = PlanFactory(insulin_monthly_cap=D("35.00"))
    subscriber = MemberFactory(user=UserFactory(), plan=plan, client=plan.client)
    client.force_login(subscriber.user)

    html = _html(client.get(URL))

    assert "you pay at most $35.00 for each 30-day supply of a covered insulin" in html


def test_no_insulin_line_without_a_cap(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    assert "covered insulin" not in _html(client.get(URL))


def test_benefits_summary_reads_within_a_query_budget(
    family: Family, today: dt.date, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(6):
        summary = find_benefits_summary(viewer=family.subscriber.user, today=today)

    assert summary is not None
    assert len(summary.cost_shares.rows) == 5


def test_the_benefits_page_reads_within_a_query_budget(
    client: Client, family: Family, django_assert_max_num_queries
) -> None:
    client.force_login(family.subscriber.user)
    client.get(URL)

    with django_assert_max_num_queries(18):
        assert client.get(URL).status_code == 200
