"""A client (Acme) with one family on its plan and claims, another client (Globex) with a
member of the same name and birthday, and a client user holding both PHI grants for Acme."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from rxportal.accounts.models import User
from rxportal.claims.models import AccumulatorScope, Claim
from rxportal.clients.models import Client, ToolGrant
from rxportal.members.models import Member, Relationship
from rxportal.plans.models import Plan
from tests.clients.conftest import approve, link, make_user, submit
from tests.factories import (
    AccumulatorFactory,
    ClaimFactory,
    ClientFactory,
    DrugFactory,
    MemberFactory,
    PlanFactory,
)


@dataclass
class Scene:
    acme: Client
    plan: Plan
    subscriber: Member
    spouse: Member
    child: Member
    globex: Client
    stranger: Member  # Globex's member: same name and birthday as Acme's subscriber
    owner: User
    agent: User
    eligibility: ToolGrant
    reports: ToolGrant
    claims: list[Claim]
    stranger_claim: Claim


@pytest.fixture
def scene(db: None) -> Scene:
    acme = ClientFactory(name="Acme Manufacturing")
    plan = PlanFactory(client=acme, plan_year=2026, name="Acme Gold Rx")
    subscriber = MemberFactory(
        client=acme, plan=plan, member_id="ACM00000042", first_name="José", last_name="Núñez",
        date_of_birth=dt.date(1980, 6, 15), coverage_start=dt.date(2025, 1, 1),
    )  # fmt: skip
    spouse = MemberFactory(
        client=acme, plan=plan, member_id="ACM00000042", person_code="02",
        relationship=Relationship.SPOUSE, subscriber=subscriber, first_name="Ana",
        last_name="Núñez", date_of_birth=dt.date(1982, 3, 1), coverage_start=dt.date(2025, 1, 1),
    )  # fmt: skip
    child = MemberFactory(
        client=acme, plan=plan, member_id="ACM00000042", person_code="03",
        relationship=Relationship.CHILD, subscriber=subscriber, first_name="Leo",
        last_name="Núñez", date_of_birth=dt.date(2015, 9, 9), coverage_start=dt.date(2025, 1, 1),
        coverage_end=dt.date(2026, 3, 31),
    )  # fmt: skip
    AccumulatorFactory(
        member=subscriber, plan_year=2026, deductible_met=D("100.00"), oop_met=D("400.00")
    )
    AccumulatorFactory(
        member=subscriber, plan_year=2026, scope=AccumulatorScope.FAMILY,
        deductible_met=D("150.00"), oop_met=D("900.00"),
    )  # fmt: skip
    globex = ClientFactory(name="Globex Health Plan")
    stranger = MemberFactory(
        client=globex, member_id="GLX00000042", first_name="José", last_name="Núñez",
        date_of_birth=dt.date(1980, 6, 15),
    )  # fmt: skip
    statin = DrugFactory(name="Examplestatin 20 MG Oral Tablet")
    insulin = DrugFactory(name='=HYPERLINK("http://evil")', rxcui="999999")
    claims = [
        ClaimFactory(member=subscriber, drug=statin, service_date=dt.date(2026, 1, 10)),
        ClaimFactory(member=spouse, drug=insulin, service_date=dt.date(2026, 2, 10)),
        ClaimFactory(member=child, drug=statin, service_date=dt.date(2026, 3, 10)),
        ClaimFactory(member=subscriber, drug=statin, service_date=dt.date(2025, 12, 31)),
    ]
    stranger_claim = ClaimFactory(member=stranger, drug=statin, service_date=dt.date(2026, 1, 11))
    agent = make_user("avery.accounts", "account_team")
    owner = make_user("casey.client", "client", organization_claim="Acme Mfg")
    link(owner, acme, agent)
    eligibility = approve(submit(owner, acme, tool="eligibility"), agent)
    reports = approve(submit(owner, acme, tool="claims-reports"), agent)
    return Scene(
        acme, plan, subscriber, spouse, child, globex, stranger, owner, agent, eligibility,
        reports, claims, stranger_claim,
    )  # fmt: skip
