"""Fixtures of the prescriptions tests: a family (tests/conftest.py) whose plan covers a drug,
with an in-network pharmacy near their ZIP code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from rxportal.formulary.models import Drug, FormularyEntry
from rxportal.pharmacies.models import NetworkPharmacy, Pharmacy, ZipCentroid
from rxportal.plans.models import Tier
from rxportal.prescriptions.models import Prescription
from tests.conftest import Family
from tests.factories import DrugFactory, PharmacyFactory, PrescriptionFactory

HARTFORD = (41.7637, -72.6851)


@dataclass(frozen=True)
class Setting:
    family: Family
    drug: Drug
    pharmacy: Pharmacy
    outside_pharmacy: Pharmacy


@pytest.fixture
def setting(family: Family) -> Setting:
    plan = family.subscriber.plan
    drug = DrugFactory(name="Examplestatin 10 MG Oral Tablet")
    FormularyEntry.objects.create(
        formulary=plan.formulary, drug=drug, tier=Tier.GENERIC, mail_eligible=True
    )
    ZipCentroid.objects.create(
        zip_code="06103", latitude=HARTFORD[0], longitude=HARTFORD[1], state="CT"
    )
    pharmacy = PharmacyFactory(latitude=HARTFORD[0] + 0.01, longitude=HARTFORD[1])
    NetworkPharmacy.objects.create(network=plan.network, pharmacy=pharmacy)
    outside = PharmacyFactory(latitude=HARTFORD[0] - 0.01, longitude=HARTFORD[1])
    return Setting(family=family, drug=drug, pharmacy=pharmacy, outside_pharmacy=outside)


def make_rx(
    setting: Setting,
    *,
    member: object = None,
    today: dt.date,
    last_filled_days_ago: int | None = 30,
    days_supply: int = 30,
    refills_remaining: int = 3,
    expires_in_days: int = 200,
    **kwargs: object,
) -> Prescription:
    """A prescription on the covered drug; refillable today by default (30-day fill 30 days
    ago, 3 refills left)."""
    return PrescriptionFactory(
        member=member or setting.family.subscriber,
        drug=kwargs.pop("drug", setting.drug),
        written_on=today - dt.timedelta(days=100),
        expires_on=today + dt.timedelta(days=expires_in_days),
        last_filled_on=(
            None
            if last_filled_days_ago is None
            else today - dt.timedelta(days=last_filled_days_ago)
        ),
        days_supply=days_supply,
        quantity=Decimal("30.000"),
        refills_authorized=max(refills_remaining, 5),
        refills_remaining=refills_remaining,
        **kwargs,
    )
