"""Factories for pricing tests (formulary entries, network memberships, price quotes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from rxportal.core import clock
from rxportal.formulary.models import FormularyEntry
from rxportal.pharmacies.models import NetworkPharmacy
from rxportal.plans.models import Channel, Tier
from rxportal.pricing.models import NetworkStatus, PriceQuote
from tests.factories import DrugFactory, MemberFactory, NetworkFactory, PharmacyFactory

D = Decimal


class FormularyEntryFactory(DjangoModelFactory):
    class Meta:
        model = FormularyEntry

    drug = factory.SubFactory(DrugFactory)
    tier = Tier.GENERIC


class NetworkPharmacyFactory(DjangoModelFactory):
    class Meta:
        model = NetworkPharmacy

    network = factory.SubFactory(NetworkFactory)
    pharmacy = factory.SubFactory(PharmacyFactory)
    is_preferred = False


class PriceQuoteFactory(DjangoModelFactory):
    """A retail 30-day quote: $15.00 total, the member pays $10.00 (copay)."""

    class Meta:
        model = PriceQuote

    member = factory.SubFactory(MemberFactory)
    plan = factory.SelfAttribute("member.plan")
    drug = factory.SubFactory(DrugFactory)
    pharmacy = None
    channel = Channel.RETAIL_30
    tier = Tier.GENERIC
    network_status = NetworkStatus.IN_NETWORK
    quantity = D("30.000")
    days_supply = 30
    unit_price = D("0.5000")
    deductible_met = D("0.00")
    oop_met = D("0.00")
    family_deductible_met = D("0.00")
    family_oop_met = D("0.00")
    member_pays = D("10.00")
    plan_pays = D("5.00")
    total_cost = factory.LazyAttribute(lambda o: o.member_pays + o.plan_pays)
    deductible_applied = D("0.00")
    explanation = factory.LazyAttribute(
        lambda o: [
            {"code": "copay", "text": f"Your copay for this fill is ${o.member_pays}.",
             "amount": str(o.member_pays)},
        ]
    )  # fmt: skip
    quoted_at = factory.LazyFunction(clock.now)
    valid_until = factory.LazyAttribute(lambda o: o.quoted_at + dt.timedelta(days=30))
