"""Fixtures for the claims history: a family with claims of every kind, and a stranger's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from rxportal.claims import domain
from rxportal.claims.models import Claim, ClaimMonthTotal, ClaimStatus
from rxportal.claims.selectors import ClaimScope, find_claim_scope
from rxportal.formulary.models import Drug
from rxportal.members.models import Member
from rxportal.pharmacies.models import Pharmacy
from tests.conftest import Family
from tests.factories import ClaimFactory, DrugFactory, MemberFactory, PharmacyFactory, UserFactory

D = Decimal


@dataclass(frozen=True)
class ClaimsWorld:
    family: Family
    stranger: Member
    drugs: list[Drug]
    pharmacies: list[Pharmacy]
    paid: list[Claim]  # the family's visible paid claims (subscriber and minor child)
    reversed_original: Claim
    reversal: Claim
    rejected: Claim
    hidden: list[Claim]  # the spouse's, the adult child's (no consent) and the stranger's


def make_reversed_pair(**kwargs: object) -> tuple[Claim, Claim]:
    """An original marked reversed and its reversal row (same figures), as seed_demo makes them."""
    original = ClaimFactory(status=ClaimStatus.REVERSED, **kwargs)
    reversal = ClaimFactory(
        status=ClaimStatus.REVERSED,
        reverses=original,
        member=original.member,
        drug=original.drug,
        pharmacy=original.pharmacy,
        service_date=original.service_date,
        member_paid=original.member_paid,
        plan_paid=original.plan_paid,
    )
    return original, reversal


MonthTotals = dict[tuple[int, dt.date], tuple[int, int, Decimal, Decimal]]


def recompute_month_totals() -> MonthTotals:
    """Every member's monthly totals, recomputed from the claims in Python."""
    totals: dict[tuple[int, dt.date], list[Any]] = {}
    for claim in Claim.objects.all():
        key = (claim.member_id, claim.service_date.replace(day=1))
        row = totals.setdefault(key, [0, 0, D("0.00"), D("0.00")])
        row[0] += 1
        if domain.is_counted_in_totals(
            status=claim.status, is_reversal=claim.reverses_id is not None
        ):
            row[1] += 1
            row[2] += claim.member_paid
            row[3] += claim.plan_paid
    return {key: (row[0], row[1], row[2], row[3]) for key, row in totals.items()}


def kept_month_totals() -> MonthTotals:
    """The totals the triggers kept (months emptied by a moved claim left out)."""
    return {
        (row.member_id, row.month): (
            row.claim_count,
            row.paid_count,
            row.member_paid,
            row.plan_paid,
        )
        for row in ClaimMonthTotal.objects.filter(claim_count__gt=0)
    }


@pytest.fixture
def plan_year(family: Family) -> int:
    return family.subscriber.plan.plan_year


@pytest.fixture
def world(family: Family, plan_year: int) -> ClaimsWorld:
    drugs = [
        DrugFactory(name="Atorvastatin 20 MG Oral Tablet"),
        DrugFactory(name="Lisinopril 10 MG Oral Tablet"),
        DrugFactory(name="Amoxicillin 250 MG Oral Capsule"),
    ]
    pharmacies = [
        PharmacyFactory(name="Elm Street Pharmacy"),
        PharmacyFactory(name="Harbor Drug"),
    ]
    paid = [
        ClaimFactory(
            member=family.subscriber,
            drug=drugs[0],
            pharmacy=pharmacies[0],
            service_date=dt.date(plan_year, 1, 15),
            member_paid=D("10.00"),
            plan_paid=D("40.00"),
        ),
        ClaimFactory(
            member=family.subscriber,
            drug=drugs[1],
            pharmacy=pharmacies[1],
            service_date=dt.date(plan_year, 3, 2),
            member_paid=D("25.50"),
            plan_paid=D("100.25"),
        ),
        ClaimFactory(
            member=family.minor_child,
            drug=drugs[2],
            pharmacy=pharmacies[0],
            service_date=dt.date(plan_year, 3, 20),
            member_paid=D("5.00"),
            plan_paid=D("12.00"),
        ),
    ]
    original, reversal = make_reversed_pair(
        member=family.subscriber,
        drug=drugs[1],
        pharmacy=pharmacies[1],
        service_date=dt.date(plan_year, 2, 10),
        member_paid=D("30.00"),
        plan_paid=D("70.00"),
    )
    rejected = ClaimFactory(
        rejected=True,
        member=family.minor_child,
        drug=drugs[0],
        pharmacy=pharmacies[1],
        service_date=dt.date(plan_year, 2, 11),
    )
    stranger = MemberFactory(user=UserFactory(username="stranger"))
    hidden = [
        ClaimFactory(member=family.spouse, service_date=dt.date(plan_year, 1, 20)),
        ClaimFactory(member=family.adult_child, service_date=dt.date(plan_year, 1, 21)),
        ClaimFactory(member=stranger, service_date=dt.date(plan_year, 1, 22)),
    ]
    return ClaimsWorld(
        family=family,
        stranger=stranger,
        drugs=drugs,
        pharmacies=pharmacies,
        paid=paid,
        reversed_original=original,
        reversal=reversal,
        rejected=rejected,
        hidden=hidden,
    )


@pytest.fixture
def scope(family: Family, today: dt.date) -> ClaimScope:
    found = find_claim_scope(viewer=family.subscriber.user, today=today)
    assert found is not None
    return found
