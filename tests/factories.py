"""factory_boy factories shared by the whole test suite.

Every factory builds rows that satisfy the database check constraints: a paid claim's
total_cost is plan_paid + member_paid, and deductible_applied / oop_applied never exceed
member_paid. Examples:

    plan = PlanFactory()                                # with a standard set of cost shares
    subscriber = MemberFactory(user=UserFactory(), plan=plan)
    child = DependentFactory(subscriber=subscriber, date_of_birth=date(2015, 4, 1))
    ClaimFactory(member=child, member_paid=Decimal("10.00"), plan_paid=Decimal("35.00"))
    AccumulatorFactory(member=subscriber, scope=AccumulatorScope.FAMILY, oop_met=Decimal("90"))
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from rxportal.accounts.models import Role, User
from rxportal.claims.models import Accumulator, AccumulatorScope, Claim, ClaimStatus
from rxportal.clients.models import Client, ClientKind
from rxportal.core import clock
from rxportal.formulary.models import Drug, Formulary
from rxportal.members.models import Member, Relationship
from rxportal.pharmacies.models import Network, Pharmacy
from rxportal.plans.models import Channel, CostShare, Plan, PlanKind, Tier
from rxportal.prescriptions.models import Prescription

D = Decimal
DEFAULT_PASSWORD = "Correct-Horse-Battery-Staple-2026"


def _current_year() -> int:
    return clock.today().year


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.MEMBER
    password = factory.django.Password(DEFAULT_PASSWORD)


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client

    code = factory.Sequence(lambda n: f"CLIENT{n:04d}")
    name = factory.Sequence(lambda n: f"Example Employer {n}")
    kind = ClientKind.EMPLOYER
    member_services_phone = "1-800-555-0100"


class NetworkFactory(DjangoModelFactory):
    class Meta:
        model = Network

    code = factory.Sequence(lambda n: f"NET{n:04d}")
    name = factory.Sequence(lambda n: f"National retail network {n}")


class PharmacyFactory(DjangoModelFactory):
    class Meta:
        model = Pharmacy

    license_number = factory.Sequence(lambda n: f"PCY.{n:07d}")
    npi = factory.Sequence(lambda n: f"{1000000000 + n}")
    name = factory.Sequence(lambda n: f"Main Street Pharmacy #{n}")
    address_line = "100 Main Street"
    city = "Hartford"
    state = "CT"
    zip_code = "06103"
    phone = "860-555-0100"


class FormularyFactory(DjangoModelFactory):
    class Meta:
        model = Formulary

    code = factory.Sequence(lambda n: f"FORM{n:04d}")
    name = factory.Sequence(lambda n: f"Standard formulary {n}")
    plan_year = factory.LazyFunction(_current_year)


class DrugFactory(DjangoModelFactory):
    class Meta:
        model = Drug

    rxcui = factory.Sequence(lambda n: f"{900000 + n}")
    name = factory.Sequence(lambda n: f"Examplestatin {n} MG Oral Tablet")
    ingredient = "examplestatin"
    strength = "10 MG"
    dose_form = "Oral Tablet"
    unit_cost_min = D("0.10")
    unit_cost_mode = D("0.50")
    unit_cost_max = D("2.00")


# (tier, channel, copay, coinsurance %, minimum, maximum, deductible applies)
STANDARD_COST_SHARES: list[
    tuple[str, str, Decimal | None, Decimal | None, Decimal | None, Decimal | None, bool]
] = [
    (Tier.GENERIC, Channel.RETAIL_30, D("10.00"), None, None, None, False),
    (Tier.GENERIC, Channel.MAIL_90, D("20.00"), None, None, None, False),
    (Tier.PREFERRED_BRAND, Channel.RETAIL_30, D("40.00"), None, None, None, True),
    (Tier.PREFERRED_BRAND, Channel.MAIL_90, D("80.00"), None, None, None, True),
    (Tier.NON_PREFERRED_BRAND, Channel.RETAIL_30, None, D("40.00"), D("50.00"), D("150.00"), True),
    (Tier.SPECIALTY, Channel.SPECIALTY, None, D("25.00"), D("100.00"), D("250.00"), True),
    (Tier.ZERO_COST_SHARE_PREVENTATIVE, Channel.RETAIL_30, D("0.00"), None, None, None, False),
]


class CostShareFactory(DjangoModelFactory):
    class Meta:
        model = CostShare

    plan = factory.SubFactory("tests.factories.PlanFactory", cost_shares=[])
    tier = Tier.GENERIC
    channel = Channel.RETAIL_30
    copay = D("10.00")
    coinsurance_pct = None
    deductible_applies = False


class PlanFactory(DjangoModelFactory):
    """A commercial plan: $250 / $500 deductible, $3,000 / $6,000 out-of-pocket maximum.

    Gets STANDARD_COST_SHARES unless given `cost_shares=[...]` (rows as in that list) or
    `cost_shares=[]` for none.
    """

    class Meta:
        model = Plan
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    code = factory.Sequence(lambda n: f"PLAN-{n:04d}")
    name = factory.Sequence(lambda n: f"Gold PPO Rx {n}")
    kind = PlanKind.COMMERCIAL
    plan_year = factory.LazyFunction(_current_year)
    rx_bin = "999001"
    rx_pcn = "RXPORTAL"
    rx_group = factory.Sequence(lambda n: f"GRP{n:05d}")
    formulary = factory.SubFactory(FormularyFactory, plan_year=factory.SelfAttribute("..plan_year"))
    network = factory.SubFactory(NetworkFactory)
    deductible_individual = D("250.00")
    deductible_family = D("500.00")
    oop_max_individual = D("3000.00")
    oop_max_family = D("6000.00")

    @factory.post_generation
    def cost_shares(self, create: bool, extracted: list[Any] | None, **kwargs: Any) -> None:
        if not create:
            return
        rows = STANDARD_COST_SHARES if extracted is None else extracted
        for tier, channel, copay, coinsurance, minimum, maximum, deductible_applies in rows:
            CostShare.objects.create(
                plan=self,
                tier=tier,
                channel=channel,
                copay=copay,
                coinsurance_pct=coinsurance,
                minimum=minimum,
                maximum=maximum,
                deductible_applies=deductible_applies,
            )


class MemberFactory(DjangoModelFactory):
    """A subscriber (person code 01). Pass `user=UserFactory()` to give them a sign-in."""

    class Meta:
        model = Member

    client = factory.SubFactory(ClientFactory)
    plan = factory.SubFactory(PlanFactory, client=factory.SelfAttribute("..client"))
    user = None
    member_id = factory.Sequence(lambda n: f"RXP{n:08d}")
    person_code = "01"
    relationship = Relationship.SUBSCRIBER
    subscriber = None
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1980, 6, 15)
    email = factory.LazyAttribute(lambda o: f"{o.member_id.lower()}-{o.person_code}@example.org")
    address_line = "1 Elm Street"
    city = "Hartford"
    state = "CT"
    zip_code = "06103"
    coverage_start = factory.LazyFunction(lambda: dt.date(_current_year(), 1, 1))


def _next_person_code(member: Any) -> str:
    """02 for a spouse, then 03, 04, ... for other dependents, as on NCPDP cards."""
    if member.relationship == Relationship.SPOUSE:
        return "02"
    subscriber = member.subscriber
    taken = (
        set(subscriber.dependents.values_list("person_code", flat=True)) if subscriber.pk else set()
    )
    code = 3
    while f"{code:02d}" in taken:
        code += 1
    return f"{code:02d}"


class DependentFactory(MemberFactory):
    """A dependent on a subscriber's card: same client, plan and member id. A child by default."""

    subscriber = factory.SubFactory(MemberFactory)
    client = factory.SelfAttribute("subscriber.client")
    plan = factory.SelfAttribute("subscriber.plan")
    member_id = factory.SelfAttribute("subscriber.member_id")
    last_name = factory.SelfAttribute("subscriber.last_name")
    relationship = Relationship.CHILD
    person_code = factory.LazyAttribute(_next_person_code)
    date_of_birth = factory.LazyFunction(lambda: dt.date(_current_year() - 10, 3, 1))
    coverage_start = factory.SelfAttribute("subscriber.coverage_start")

    class Params:
        spouse = factory.Trait(relationship=Relationship.SPOUSE, date_of_birth=dt.date(1982, 2, 3))


class PrescriptionFactory(DjangoModelFactory):
    class Meta:
        model = Prescription

    member = factory.SubFactory(MemberFactory)
    drug = factory.SubFactory(DrugFactory)
    rx_number = factory.Sequence(lambda n: f"RX{n:08d}")
    prescriber_name = "Dr. Alex Example"
    written_on = factory.LazyFunction(lambda: clock.today() - dt.timedelta(days=30))
    expires_on = factory.LazyAttribute(lambda o: o.written_on + dt.timedelta(days=365))
    quantity = D("30.000")
    days_supply = 30
    refills_authorized = 5
    refills_remaining = 5


class ClaimFactory(DjangoModelFactory):
    """A paid retail claim: $50.00 total, the member paid $10.00 (all towards out-of-pocket).

    Set member_paid / plan_paid and total_cost follows; use `ClaimFactory(rejected=True)` for
    a rejection (nothing paid).
    """

    class Meta:
        model = Claim

    claim_number = factory.Sequence(lambda n: f"CLM{n:012d}")
    member = factory.SubFactory(MemberFactory)
    plan = factory.SelfAttribute("member.plan")
    drug = factory.SubFactory(DrugFactory)
    pharmacy = factory.SubFactory(PharmacyFactory)
    service_date = factory.LazyFunction(clock.today)
    status = ClaimStatus.PAID
    channel = Channel.RETAIL_30
    tier = Tier.GENERIC
    quantity = D("30.000")
    days_supply = 30
    member_paid = D("10.00")
    plan_paid = D("40.00")
    total_cost = factory.LazyAttribute(lambda o: o.plan_paid + o.member_paid)
    deductible_applied = D("0.00")
    oop_applied = factory.LazyAttribute(lambda o: o.member_paid)

    class Params:
        rejected = factory.Trait(
            status=ClaimStatus.REJECTED,
            reject_code="75",
            reject_reason="Prior authorization required",
            member_paid=D("0.00"),
            plan_paid=D("0.00"),
        )


class AccumulatorFactory(DjangoModelFactory):
    """One plan-year accumulator. For a family row, pass the subscriber and scope=FAMILY."""

    class Meta:
        model = Accumulator

    member = factory.SubFactory(MemberFactory)
    plan = factory.SelfAttribute("member.plan")
    plan_year = factory.SelfAttribute("plan.plan_year")
    scope = AccumulatorScope.INDIVIDUAL
    deductible_met = D("0.00")
    oop_met = D("0.00")
