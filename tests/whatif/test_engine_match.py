"""The what-if against the engine, on claims the engine priced (tests/whatif/conftest.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal as D

import pytest

from rxportal.analytics.domain import is_small
from rxportal.claims.models import Claim, ClaimStatus
from rxportal.pricing.engine import Channel, CostShare, NetworkStatus, Tier
from rxportal.whatif import selectors
from rxportal.whatif.design import CostShareChange, DesignChange, apply_design_change
from rxportal.whatif.domain import WhatIfResult, Window, compute_what_if
from tests.whatif.conftest import WINDOW_END, WINDOW_START, Book, engine_walk

pytestmark = pytest.mark.django_db
WINDOW = Window(WINDOW_START, WINDOW_END)


def run(book: Book, change: DesignChange) -> WhatIfResult:
    return compute_what_if(
        design=apply_design_change(book.design, change),
        claims=selectors.list_claim_rows(plan=book.plan, window=WINDOW),
        window=WINDOW,
        member_months=288,
    )


def test_the_claims_read_are_the_counted_ones_in_the_order_they_were_priced(book: Book) -> None:
    rows = selectors.list_claim_rows(plan=book.plan, window=WINDOW)

    assert [(r.member_key, r.service_date, r.claim.drug_cost) for r in rows] == [
        (fill.member.pk, fill.day, result.total_cost)
        for fill, result in zip(book.fills, book.priced, strict=True)
    ]
    assert any(row.claim.network_status == NetworkStatus.OUT_OF_NETWORK for row in rows)


def test_an_unchanged_design_reproduces_exactly_what_the_engine_charged(book: Book) -> None:
    result = run(book, DesignChange())

    counted = Claim.objects.filter(
        plan=book.plan, status=ClaimStatus.PAID, reversal__isnull=True,
        service_date__gte=WINDOW_START, service_date__lte=WINDOW_END,
    )  # fmt: skip
    stored_member = sum(counted.values_list("member_paid", flat=True), D(0))
    stored_plan = sum(counted.values_list("plan_paid", flat=True), D(0))
    assert result.claims == counted.count() == len(book.in_window())
    assert result.member_before == result.member_after == stored_member
    assert result.plan_before == result.plan_after == stored_plan
    assert result.members_paying_more == 0 and result.members_paying_less == 0
    assert result.top_drugs == () and result.drugs_not_shown == 0
    assert result.member_shift_pmpm == D("0.00")


def test_a_changed_copay_and_deductible_match_the_engine_called_directly(book: Book) -> None:
    change = DesignChange(
        deductible_individual=D("400.00"),
        cost_shares=(CostShareChange(Tier.PREFERRED_BRAND, Channel.RETAIL_30, copay=D("60.00")),),
    )
    # The same design built by hand, then every fill priced by the engine in the test's walk.
    by_hand = replace(
        book.design,
        deductible_individual=D("400.00"),
        cost_shares={
            **book.design.cost_shares,
            (Tier.PREFERRED_BRAND, Channel.RETAIL_30): CostShare(copay=D("60.00")),
        },
    )
    repriced = engine_walk(by_hand, book.fills)
    in_window = [
        (fill, before, after)
        for fill, before, after in zip(book.fills, book.priced, repriced, strict=True)
        if fill.day >= WINDOW_START
    ]
    shift_by_member: dict[int, D] = defaultdict(D)
    shift_by_drug: dict[int, D] = defaultdict(D)
    for fill, before, after in in_window:
        shift_by_member[fill.member.pk] += after.member_pays - before.member_pays
        shift_by_drug[fill.drug.pk] += after.member_pays - before.member_pays
    more = sum(1 for shift in shift_by_member.values() if shift > 0)
    less = sum(1 for shift in shift_by_member.values() if shift < 0)

    result = run(book, change)

    assert result.member_after == sum((a.member_pays for _, _, a in in_window), D(0))
    assert result.plan_after == sum((a.plan_pays for _, _, a in in_window), D(0))
    assert result.member_after > result.member_before
    assert result.members_paying_more == (None if is_small(more) else more)
    assert result.members_paying_less == (None if is_small(less) else less)
    assert {d.drug_key: d.member_shift for d in result.top_drugs} == {
        drug: shift for drug, shift in shift_by_drug.items() if shift and drug in
        {d.drug_key for d in result.top_drugs}
    }  # fmt: skip
    assert book.drugs["brand"].pk in {d.drug_key for d in result.top_drugs}
