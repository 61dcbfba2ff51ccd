"""Rollup refresh: hand-counted rows, incremental months only, equal to a full rebuild."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from rxportal.analytics.models import DrugMonthRollup, MemberMonthRollup, PeriodMemberRollup
from rxportal.analytics.services import (
    rebuild_claim_rollups,
    refresh_claim_rollups,
    schedule_claim_rollup_refresh,
)
from rxportal.claims.models import ClaimStatus
from tests.analytics.conftest import FEB, JAN, ClaimsSet, add_claim

pytestmark = pytest.mark.django_db


def drug_rows(client_id: int) -> set[tuple[Any, ...]]:
    return set(
        DrugMonthRollup.objects.filter(client_id=client_id).values_list(
            "plan_id", "month", "drug_id", "tier", "channel", "is_brand", "therapeutic_class",
            "claims", "days_supply", "total_cost", "plan_paid", "member_paid", "utilizers",
        )
    )  # fmt: skip


def member_rows(client_id: int) -> set[tuple[Any, ...]]:
    return set(
        MemberMonthRollup.objects.filter(client_id=client_id).values_list(
            "plan_id", "month", "member_id", "eligible", "claims", "total_cost", "plan_paid",
            "member_paid", "reached_deductible", "reached_oop_max",
        )
    )  # fmt: skip


def period_rows(client_id: int) -> set[tuple[Any, ...]]:
    return set(
        PeriodMemberRollup.objects.filter(client_id=client_id).values_list(
            "plan_id", "kind", "start", "member_months", "members", "utilizers",
            "reached_deductible", "reached_oop_max",
        )
    )  # fmt: skip


def test_period_rows_count_distinct_members_per_month_quarter_and_year(
    claims_set: ClaimsSet,
) -> None:
    """January and February: 12 eligible members each, all 12 with a claim; member 12 reached
    both amounts. The quarter and the year: 24 member-months but still 12 members."""
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    plan = claims_set.plan.pk
    expected = {
        ("month", JAN, 12, 12, 12, 1, 1),
        ("month", FEB, 12, 12, 12, 1, 1),
        ("quarter", JAN, 24, 12, 12, 1, 1),
        ("plan_year", JAN, 24, 12, 12, 1, 1),
    }
    assert period_rows(claims_set.client.pk) == {
        (plan_id, *row) for row in expected for plan_id in (plan, None)
    }


def test_rebuild_counts_paid_claims_only_per_drug_month_cell(claims_set: ClaimsSet) -> None:
    """January: G 11 claims $220.00 (plan 132.00, member 88.00) for 11 members, S 1 claim
    $1200.00; the rejected claim and the reversed brand claim are nowhere. February: G 11
    claims of 90 days = 990 days, $495.00 (330.00 + 165.00)."""
    summary = rebuild_claim_rollups(client_id=claims_set.client.pk)

    plan, g, s = claims_set.plan.pk, claims_set.generic.pk, claims_set.specialty.pk
    assert summary.months == (JAN, FEB)
    assert drug_rows(claims_set.client.pk) == {
        (plan, JAN, g, "generic", "retail_30", False, "Statins", 11, 330, D("220.00"),
         D("132.00"), D("88.00"), 11),
        (plan, JAN, s, "specialty", "specialty", True, "Immunology", 1, 30, D("1200.00"),
         D("200.00"), D("1000.00"), 1),
        (plan, FEB, g, "generic", "retail_90", False, "Statins", 11, 990, D("495.00"),
         D("330.00"), D("165.00"), 11),
        (plan, FEB, s, "specialty", "specialty", True, "Immunology", 1, 30, D("1200.00"),
         D("1200.00"), D("0.00"), 1),
    }  # fmt: skip


def test_member_months_carry_eligibility_and_the_deductible_reached_earlier_in_the_year(
    claims_set: ClaimsSet,
) -> None:
    """Member 12 met the $100 deductible and the $1000 maximum in January and is still past
    them in February, although February applied nothing. Member 2's reversed claim leaves
    them with January's $20 generic claim only."""
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    rows = {(r[1], r[2]): r for r in member_rows(claims_set.client.pk)}
    last, second = claims_set.members[11].pk, claims_set.members[1].pk
    assert len(rows) == 24
    assert all(r[3] for r in rows.values())  # all eligible
    assert rows[(JAN, last)][4:] == (1, D("1200.00"), D("200.00"), D("1000.00"), True, True)
    assert rows[(FEB, last)][4:] == (1, D("1200.00"), D("1200.00"), D("0.00"), True, True)
    assert rows[(JAN, second)][4:] == (1, D("20.00"), D("12.00"), D("8.00"), False, False)


def test_an_eligible_member_without_claims_has_a_member_month(claims_set: ClaimsSet) -> None:
    from tests.factories import MemberFactory

    idle = MemberFactory(
        client=claims_set.client, plan=claims_set.plan, coverage_start=dt.date(2026, 2, 1)
    )

    rebuild_claim_rollups(client_id=claims_set.client.pk)

    rows = MemberMonthRollup.objects.filter(member=idle)
    assert [(r.month, r.eligible, r.claims, r.total_cost) for r in rows] == [
        (FEB, True, 0, D("0.00"))
    ]


def test_refresh_rewrites_only_the_touched_months_and_equals_a_rebuild(
    claims_set: ClaimsSet,
) -> None:
    rebuild_claim_rollups(client_id=claims_set.client.pk)
    client_id = claims_set.client.pk
    january_ids = set(DrugMonthRollup.objects.filter(month=JAN).values_list("id", flat=True))
    january_member_ids = set(
        MemberMonthRollup.objects.filter(month=JAN).values_list("id", flat=True)
    )
    february_ids = set(DrugMonthRollup.objects.filter(month=FEB).values_list("id", flat=True))
    add_claim(claims_set.members[0], claims_set.brand, dt.date(2026, 2, 20),
              plan_paid=D("300.00"), member_paid=D("40.00"), tier="preferred-brand")  # fmt: skip

    summary = refresh_claim_rollups(client_id=client_id, months=[FEB])

    assert summary.months == (FEB,)
    assert set(DrugMonthRollup.objects.filter(month=JAN).values_list("id", flat=True)) == (
        january_ids
    )
    assert set(MemberMonthRollup.objects.filter(month=JAN).values_list("id", flat=True)) == (
        january_member_ids
    )
    assert not february_ids & set(
        DrugMonthRollup.objects.filter(month=FEB).values_list("id", flat=True)
    )
    incremental = drug_rows(client_id), member_rows(client_id), period_rows(client_id)
    rebuild_claim_rollups(client_id=client_id)
    assert (drug_rows(client_id), member_rows(client_id), period_rows(client_id)) == incremental
    assert DrugMonthRollup.objects.get(month=FEB, drug=claims_set.brand).total_cost == D("340.00")


def test_a_touched_month_refreshes_the_rest_of_its_year_for_the_year_to_date_flags(
    claims_set: ClaimsSet,
) -> None:
    """A late reversal of member 12's January claim (same date of service) undoes the
    deductible met: February must lose the flags too."""
    rebuild_claim_rollups(client_id=claims_set.client.pk)
    original = claims_set.members[11].claims.get(service_date=dt.date(2026, 1, 5))
    add_claim(claims_set.members[11], claims_set.specialty, original.service_date,
              plan_paid=D("200.00"), member_paid=D("1000.00"), status=ClaimStatus.REVERSED,
              reverses=original, tier="specialty", channel="specialty")  # fmt: skip

    summary = refresh_claim_rollups(client_id=claims_set.client.pk, months=[JAN])

    assert summary.months == (JAN, FEB)
    feb = MemberMonthRollup.objects.get(month=FEB, member=claims_set.members[11])
    assert (feb.reached_deductible, feb.reached_oop_max) == (False, False)
    assert not DrugMonthRollup.objects.filter(month=JAN, drug=claims_set.specialty).exists()


def test_loaders_schedule_the_refresh_of_the_loaded_months_after_commit(
    claims_set: ClaimsSet, django_capture_on_commit_callbacks: Any
) -> None:
    rebuild_claim_rollups(client_id=claims_set.client.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        claim = add_claim(claims_set.members[3], claims_set.brand, dt.date(2026, 2, 25),
                          plan_paid=D("90.00"), member_paid=D("10.00"))  # fmt: skip
        schedule_claim_rollup_refresh(
            client_id=claims_set.client.pk, service_dates=[claim.service_date]
        )
        assert not DrugMonthRollup.objects.filter(drug=claims_set.brand).exists()

    # The claim's save also bumps the member's cached pages on commit (web.record_changes).
    refreshes = [c for c in callbacks if "schedule_claim_rollup_refresh" in c.__qualname__]
    assert len(refreshes) == 1
    refreshes[0]()  # the task runs eagerly
    assert DrugMonthRollup.objects.get(drug=claims_set.brand).total_cost == D("100.00")


def test_rebuild_command_rebuilds_every_client(claims_set: ClaimsSet) -> None:
    call_command("rebuild_claim_rollups")

    assert DrugMonthRollup.objects.filter(client=claims_set.client).count() == 4
