"""A dozen claims a month that add up on paper (see `ClaimsSet`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from rxportal.accounts.models import User
from rxportal.claims.models import Claim, ClaimStatus
from rxportal.clients.models import Client
from rxportal.formulary.models import Drug
from rxportal.members.models import Member
from rxportal.plans.models import Channel, Plan, Tier
from tests.clients.conftest import approve, link, make_user, submit
from tests.factories import ClaimFactory, DrugFactory, MemberFactory, PlanFactory

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


@dataclass
class ClaimsSet:
    """Plan: deductible $100, out-of-pocket maximum $1000; 12 members covered since 2025.

    January 2026 (12 counted claims):
      members 1-11: generic G (class Statins), retail 30 days, $20.00 = plan 12.00 + member 8.00
      member 12:    specialty S (class Immunology), 30 days, $1200.00 = plan 200.00 + member
                    1000.00, of which deductible 100.00 and out-of-pocket 1000.00 (reaches both)
      not counted:  member 1's rejected claim; member 2's brand B claim of $500.00 and the
                    reversal that backs it out (the original row stays "paid", as an importer
                    writes it)
      -> 12 claims, $1420.00 = plan 332.00 + member 1088.00, 360 days = 12 scripts
    February 2026 (12 claims):
      members 1-11: G retail 90 days, $45.00 = plan 30.00 + member 15.00
      member 12:    S 30 days, $1200.00 = plan 1200.00 + member 0.00
      -> 12 claims, $1695.00 = plan 1530.00 + member 165.00, 1020 days = 34 scripts
    """

    client: Client
    plan: Plan
    members: list[Member]
    generic: Drug
    specialty: Drug
    brand: Drug


def add_claim(member: Member, drug: Drug, day: dt.date, **fields: object) -> Claim:
    return ClaimFactory(member=member, plan=member.plan, drug=drug, service_date=day, **fields)


@pytest.fixture
def claims_set(db: None) -> ClaimsSet:
    plan = PlanFactory(deductible_individual=D("100.00"), oop_max_individual=D("1000.00"))
    members = [
        MemberFactory(client=plan.client, plan=plan, coverage_start=dt.date(2025, 1, 1))
        for _ in range(12)
    ]
    generic = DrugFactory(is_brand=False, therapeutic_class="Statins")
    specialty = DrugFactory(is_brand=True, therapeutic_class="Immunology")
    brand = DrugFactory(is_brand=True, therapeutic_class="Diabetes")
    for member in members[:11]:
        add_claim(
            member, generic, dt.date(2026, 1, 10), plan_paid=D("12.00"), member_paid=D("8.00")
        )
        add_claim(member, generic, dt.date(2026, 2, 10), plan_paid=D("30.00"),
                  member_paid=D("15.00"), channel=Channel.RETAIL_90, days_supply=90)  # fmt: skip
    add_claim(
        members[11],
        specialty,
        dt.date(2026, 1, 5),
        plan_paid=D("200.00"),
        member_paid=D("1000.00"),
        deductible_applied=D("100.00"),
        tier=Tier.SPECIALTY,
        channel=Channel.SPECIALTY,
    )
    add_claim(
        members[11],
        specialty,
        dt.date(2026, 2, 5),
        plan_paid=D("1200.00"),
        member_paid=D("0.00"),
        tier=Tier.SPECIALTY,
        channel=Channel.SPECIALTY,
    )
    add_claim(members[0], generic, dt.date(2026, 1, 20), rejected=True)
    original = add_claim(
        members[1],
        brand,
        dt.date(2026, 1, 15),
        plan_paid=D("460.00"),
        member_paid=D("40.00"),
        tier=Tier.PREFERRED_BRAND,
    )
    add_claim(members[1], brand, dt.date(2026, 1, 15), plan_paid=D("460.00"),
              member_paid=D("40.00"), tier=Tier.PREFERRED_BRAND, status=ClaimStatus.REVERSED,
              reverses=original)  # fmt: skip
    return ClaimsSet(plan.client, plan, members, generic, specialty, brand)


@pytest.fixture
def owner(claims_set: ClaimsSet) -> User:
    """A client user with a live drug-trend grant for the claims set's client."""
    agent = make_user("alex.agent", "account_team")
    user = make_user("casey.client", "client")
    link(user, claims_set.client, agent)
    approve(submit(user, claims_set.client, tool="drug-trend"), agent)
    return user
