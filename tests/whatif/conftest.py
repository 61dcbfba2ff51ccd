"""A client's book of claims priced by the benefit engine itself, as the demo prices them.

`book`: one plan (standard cost shares, $250 / $500 deductible, $3,000 / $6,000 out-of-pocket
maximum), 12 families of two (subscriber and spouse) and a year and eleven months of fills
(January 2025 to November 2026) over a generic, a preferred brand, a non-preferred brand, a
specialty drug and 90-day generic mail fills, some at an out-of-network pharmacy. Each fill is
priced by `engine.adjudicate`, family by family in date order with plan-year accumulators,
and stored with what the engine charged. A rejected claim and a reversed pair are stored too
(the what-if must ignore them). Today is 2026-12-06, so the what-if window is December 2025
to November 2026 and January to November 2025 only warms the accumulators.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from rxportal.claims.models import Claim, ClaimStatus
from rxportal.clients.models import Client
from rxportal.formulary.models import Drug
from rxportal.members.models import Member
from rxportal.pharmacies.models import NetworkPharmacy, Pharmacy
from rxportal.plans.models import Plan
from rxportal.plans.selectors import benefit_design_for
from rxportal.pricing.engine import (
    Accumulators,
    Adjudication,
    BenefitDesign,
    Channel,
    ClaimInput,
    NetworkStatus,
    Tier,
    adjudicate,
)
from tests.factories import (
    ClaimFactory,
    DependentFactory,
    DrugFactory,
    MemberFactory,
    PharmacyFactory,
    PlanFactory,
)

TODAY = dt.date(2026, 12, 6)
WINDOW_START, WINDOW_END = dt.date(2025, 12, 1), dt.date(2026, 11, 30)
FAMILIES = 12


@dataclass(frozen=True)
class Fill:
    family: int
    member: Member
    day: dt.date
    drug: Drug
    pharmacy: Pharmacy
    claim: ClaimInput


def engine_walk(design: BenefitDesign, fills: Iterable[Fill]) -> list[Adjudication]:
    """Price `fills` (ordered by family, then date) as a PBM does: accumulators per person and
    per family, fresh each calendar plan year."""
    results = []
    individual: dict[tuple[int, int], list[D]] = {}
    family: dict[tuple[int, int], list[D]] = {}
    for fill in fills:
        year = fill.day.year
        ind = individual.setdefault((fill.member.pk, year), [D(0), D(0)])
        fam = family.setdefault((fill.family, year), [D(0), D(0)])
        result = adjudicate(
            design, Accumulators(ind[0], ind[1], fam[0], fam[1]), fill.claim, explain=False
        )
        if result.member_pays:
            for running in (ind, fam):
                running[0] += result.deductible_applied
                running[1] += result.oop_applied
        results.append(result)
    return results


@dataclass
class Book:
    client: Client
    plan: Plan
    design: BenefitDesign
    fills: list[Fill]
    priced: list[Adjudication]
    drugs: dict[str, Drug]

    def in_window(self) -> list[tuple[Fill, Adjudication]]:
        return [
            (fill, result)
            for fill, result in zip(self.fills, self.priced, strict=True)
            if fill.day >= WINDOW_START
        ]


DRUG_FILLS = (
    # key, tier, channel, days, (low, high) cost in dollars, every n months
    ("generic", Tier.GENERIC, Channel.RETAIL_30, 30, (8, 30), 1),
    ("brand", Tier.PREFERRED_BRAND, Channel.RETAIL_30, 30, (150, 450), 2),
    ("non_preferred", Tier.NON_PREFERRED_BRAND, Channel.RETAIL_30, 30, (100, 900), 3),
    ("specialty", Tier.SPECIALTY, Channel.SPECIALTY, 30, (1500, 4000), 4),
    ("mail_generic", Tier.GENERIC, Channel.MAIL_90, 90, (20, 60), 3),
)


def build_book(client: Client | None = None, seed: int = 7) -> Book:
    rng = random.Random(seed)
    plan = PlanFactory(
        **({"client": client} if client is not None else {}),
        deductible_individual=D("250.00"), deductible_family=D("500.00"),
        oop_max_individual=D("3000.00"), oop_max_family=D("6000.00"),
    )  # fmt: skip
    in_network = PharmacyFactory()
    NetworkPharmacy.objects.create(network=plan.network, pharmacy=in_network)
    out_of_network = PharmacyFactory()
    drugs = {key: DrugFactory(name=f"Whatifdrug {key} Oral Tablet") for key, *_ in DRUG_FILLS}
    fills: list[Fill] = []
    for family in range(FAMILIES):
        subscriber = MemberFactory(
            client=plan.client, plan=plan, coverage_start=dt.date(2024, 1, 1)
        )
        spouse = DependentFactory(subscriber=subscriber, spouse=True)
        family_fills = []
        for person in (subscriber, spouse):
            for key, tier, channel, days, (low, high), every in DRUG_FILLS:
                if rng.random() < 0.3:  # not everyone takes every drug
                    continue
                for month in range(0, 23, every):
                    day = dt.date(2025 + month // 12, month % 12 + 1, rng.randint(1, 28))
                    pharmacy = out_of_network if rng.random() < 0.05 else in_network
                    cost = D(rng.randint(low * 100, high * 100)) / 100
                    status = (
                        NetworkStatus.OUT_OF_NETWORK
                        if pharmacy == out_of_network
                        else NetworkStatus.IN_NETWORK
                    )
                    family_fills.append(
                        Fill(family, person, day, drugs[key], pharmacy,
                             ClaimInput(tier, cost, days, channel, False, status))
                    )  # fmt: skip
        family_fills.sort(key=lambda fill: fill.day)
        fills.extend(family_fills)
    design = benefit_design_for(plan)
    priced = engine_walk(design, fills)
    Claim.objects.bulk_create(
        Claim(
            claim_number=f"WI{plan.pk:05d}{number:07d}", member=fill.member, plan=plan,
            drug=fill.drug, pharmacy=fill.pharmacy, service_date=fill.day, status="paid",
            tier=fill.claim.tier.value, channel=fill.claim.channel.value, quantity=D(30),
            days_supply=fill.claim.days_supply, total_cost=result.total_cost,
            plan_paid=result.plan_pays, member_paid=result.member_pays,
            deductible_applied=result.deductible_applied, oop_applied=result.oop_applied,
        )
        for number, (fill, result) in enumerate(zip(fills, priced, strict=True))
    )  # fmt: skip
    # Never counted: a rejection, and a paid claim backed out by its reversal.
    first = fills[0]
    ClaimFactory(member=first.member, plan=plan, drug=first.drug, service_date=WINDOW_START,
                 rejected=True)  # fmt: skip
    original = ClaimFactory(member=first.member, plan=plan, drug=first.drug,
                            service_date=WINDOW_START, member_paid=D("999.00"))  # fmt: skip
    ClaimFactory(member=first.member, plan=plan, drug=first.drug, service_date=WINDOW_START,
                 member_paid=D("999.00"), status=ClaimStatus.REVERSED, reverses=original)  # fmt: skip
    return Book(plan.client, plan, design, fills, priced, drugs)


@pytest.fixture
def book(db: None) -> Book:
    return build_book()


def stored_claims(plan: Plan) -> int:
    return Claim.objects.filter(plan=plan).count()
