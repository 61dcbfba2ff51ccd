"""Fixtures for the cost estimator and price quotes: a family on a plan with a formulary."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from rxportal.formulary.models import Drug, FormularyEntry
from rxportal.members.models import Member
from rxportal.pharmacies.models import Pharmacy
from rxportal.plans.models import Tier
from tests.factories import (
    DependentFactory,
    DrugFactory,
    MemberFactory,
    PharmacyFactory,
    UserFactory,
)
from tests.pricing.factories import FormularyEntryFactory, NetworkPharmacyFactory

D = Decimal


@dataclass(frozen=True)
class PricingWorld:
    member: Member  # the subscriber, who can sign in
    child: Member
    generic: Drug  # tier generic: $10 retail 30 / $20 mail 90, no deductible
    brand: Drug  # preferred brand: deductible applies, $40 copay retail 30
    specialty: Drug
    off_formulary: Drug
    generic_entry: FormularyEntry
    brand_entry: FormularyEntry
    preferred: Pharmacy
    in_network: Pharmacy
    out_of_network: Pharmacy


@pytest.fixture
def world(db: None) -> PricingWorld:
    member = MemberFactory(user=UserFactory(username="pricing-member"))
    plan = member.plan
    generic = DrugFactory(name="Examplostatin 20 MG Oral Tablet", unit_cost_mode=D("0.50"))
    brand = DrugFactory(name="Brandexa 10 MG Oral Tablet [Brandexa]", unit_cost_mode=D("9.00"))
    specialty = DrugFactory(
        name="Specialimab 40 MG/ML Injectable Solution", unit_cost_mode=D("250.00")
    )
    off = DrugFactory(name="Offlistol 5 MG Oral Tablet")
    generic_entry = FormularyEntryFactory(formulary=plan.formulary, drug=generic, tier=Tier.GENERIC)
    brand_entry = FormularyEntryFactory(
        formulary=plan.formulary, drug=brand, tier=Tier.PREFERRED_BRAND
    )
    FormularyEntryFactory(
        formulary=plan.formulary,
        drug=specialty,
        tier=Tier.SPECIALTY,
        is_specialty=True,
        mail_eligible=False,
    )
    preferred = PharmacyFactory(name="Preferred Pharmacy")
    in_network = PharmacyFactory(name="Network Pharmacy")
    out_of_network = PharmacyFactory(name="Faraway Pharmacy")
    NetworkPharmacyFactory(network=plan.network, pharmacy=preferred, is_preferred=True)
    NetworkPharmacyFactory(network=plan.network, pharmacy=in_network)
    return PricingWorld(
        member=member,
        child=DependentFactory(subscriber=member),
        generic=generic,
        brand=brand,
        specialty=specialty,
        off_formulary=off,
        generic_entry=generic_entry,
        brand_entry=brand_entry,
        preferred=preferred,
        in_network=in_network,
        out_of_network=out_of_network,
    )
