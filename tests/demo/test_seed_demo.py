"""seed_demo on the test database, on top of the real imported reference data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count

from rxportal.accounts.models import Role, User
from rxportal.audit.models import AuditEvent
from rxportal.claims.models import Accumulator, Claim
from rxportal.demo.errors import DemoAlreadySeeded, DemoRefusedInProduction
from rxportal.demo.services import SeedSummary, seed_demo
from rxportal.formulary.models import ChangeStatus, FormularyChange
from rxportal.members.models import Member
from rxportal.notifications.models import Notification
from rxportal.orders.models import MailOrder, OrderStatus
from rxportal.pharmacies.models import NetworkPharmacy, ZipCentroid
from rxportal.plans.models import Plan, PlanKind
from rxportal.plans.selectors import list_benefit_designs
from rxportal.prescriptions.domain import RefillStatus, add_months
from rxportal.prescriptions.models import Prescription, RefillRequest
from rxportal.prescriptions.selectors import list_prescriptions_by_person
from rxportal.pricing.engine import (
    Accumulators,
    Channel,
    ClaimInput,
    NetworkStatus,
    Tier,
    adjudicate,
)
from tests.claims.conftest import kept_month_totals, recompute_month_totals
from tests.demo.support import NOW, TODAY

pytestmark = pytest.mark.usefixtures("reference_data")

MEMBERS = 30
PASSWORDS = {
    "demo-member": "Demo-Member-Passphrase-2026",
    "demo-spouse": "Demo-Spouse-Passphrase-2026",
    "demo-client": "Demo-Client-Passphrase-2026",
    "demo-advisor": "Demo-Advisor-Passphrase-2026",
    "demo-accountteam": "Demo-AccountTeam-Passphrase-2026",
    "demo-service": "Demo-Service-Passphrase-2026",
}


def _seed(seed: int = 7, members: int = MEMBERS) -> SeedSummary:
    return seed_demo(members=members, seed=seed, claims_per_member=8, today=TODAY, now=NOW)


@pytest.fixture
def seeded(db: None) -> SeedSummary:
    return _seed()


def _claims_snapshot() -> list[tuple]:
    return list(
        Claim.objects.order_by("claim_number").values_list(
            "claim_number", "public_id", "service_date", "status", "reject_code", "tier",
            "channel", "drug__rxcui", "total_cost", "plan_paid", "member_paid",
            "deductible_applied", "oop_applied",
        )
    )  # fmt: skip


def _seed_and_roll_back(seed: int) -> list[tuple]:
    with transaction.atomic():
        _seed(seed)
        snapshot = _claims_snapshot()
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.django_db
def test_same_seed_gives_identical_claims_and_another_seed_does_not() -> None:
    first = _seed_and_roll_back(7)
    second = _seed_and_roll_back(7)
    other = _seed_and_roll_back(8)

    assert first == second
    assert len(first) > MEMBERS * 4
    assert [row[8:] for row in first] != [row[8:] for row in other]


def test_counts_match_the_summary(seeded: SeedSummary) -> None:
    assert Member.objects.count() == MEMBERS
    assert seeded.rows["member"] == MEMBERS
    assert Claim.objects.count() == seeded.rows["claim"]
    assert Accumulator.objects.count() == seeded.rows["accumulator"]
    # Plus the family's automatic refill, placed after the load by the real job.
    automatic = RefillRequest.objects.filter(is_automatic=True, mail_order__isnull=False).count()
    assert automatic <= 1
    assert MailOrder.objects.count() == seeded.rows["mail_order"] + automatic
    assert sum(seeded.claim_statuses.values()) == seeded.rows["claim"]
    assert AuditEvent.objects.filter(action="demo.seeded").count() == 1


def test_every_paid_claim_reprices_to_its_own_figures_in_family_order(seeded: SeedSummary) -> None:
    designs = list_benefit_designs()
    preferred = set(
        NetworkPharmacy.objects.filter(is_preferred=True).values_list("pharmacy_id", flat=True)
    )
    individual: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    family: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    paid = 0
    for claim in Claim.objects.select_related("member", "drug").order_by("claim_number"):
        if claim.status != "paid":
            continue
        year = claim.service_date.year
        ind = individual[(claim.member_id, year)]
        fam = family[(claim.member.family_head_id, year)]
        result = adjudicate(
            designs[claim.plan_id],
            Accumulators(ind[0], ind[1], fam[0], fam[1]),
            ClaimInput(
                tier=Tier(claim.tier),
                drug_cost=claim.total_cost,
                days_supply=claim.days_supply,
                channel=Channel(claim.channel),
                is_insulin=claim.drug.is_insulin,
                network_status=NetworkStatus.PREFERRED
                if claim.pharmacy_id in preferred
                else NetworkStatus.IN_NETWORK,
            ),
        )
        assert (
            result.member_pays, result.plan_pays, result.deductible_applied, result.oop_applied
        ) == (
            claim.member_paid, claim.plan_paid, claim.deductible_applied, claim.oop_applied
        ), claim.claim_number  # fmt: skip
        for totals in (ind, fam):
            totals[0] += claim.deductible_applied
            totals[1] += claim.oop_applied
        paid += 1
    assert paid > MEMBERS * 3


def test_accumulators_are_the_sums_over_paid_claims_and_stay_within_plan_maximums(
    seeded: SeedSummary,
) -> None:
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    for claim in Claim.objects.filter(status="paid").select_related("member"):
        year = claim.service_date.year
        for key in (
            (claim.member_id, claim.plan_id, year, "individual"),
            (claim.member.family_head_id, claim.plan_id, year, "family"),
        ):
            sums[key][0] += claim.deductible_applied
            sums[key][1] += claim.oop_applied
    plans = {plan.pk: plan for plan in Plan.objects.all()}
    rows = list(Accumulator.objects.all())
    assert rows
    for row in rows:
        key = (row.member_id, row.plan_id, row.plan_year, row.scope)
        assert [row.deductible_met, row.oop_met] == sums.get(key, [0, 0]), key
        plan = plans[row.plan_id]
        if row.scope == "individual":
            assert row.deductible_met <= plan.deductible_individual
            assert row.oop_met <= plan.oop_max_individual
        else:
            assert plan.kind == PlanKind.COMMERCIAL
            assert row.deductible_met <= plan.deductible_family
            assert row.oop_met <= plan.oop_max_family
    stored = {(r.member_id, r.plan_id, r.plan_year, r.scope) for r in rows}
    individual_keys = {k for k, v in sums.items() if k[3] == "individual" and any(v)}
    assert individual_keys <= stored


def test_claims_mix_in_reversals_and_rejects_with_ncpdp_codes(seeded: SeedSummary) -> None:
    assert Claim.objects.filter(status="paid").exists()
    for reversal in Claim.objects.filter(reverses__isnull=False).select_related("reverses"):
        assert reversal.reverses.status == "reversed"
        assert reversal.reverses.member_paid == reversal.member_paid
    rejected = Claim.objects.filter(status="rejected")
    assert rejected.exists()
    assert set(rejected.values_list("reject_code", flat=True)) <= {"70", "75", "79"}
    assert not rejected.exclude(member_paid=0, plan_paid=0).exists()


def test_members_live_on_real_zip_centroids_of_their_state(seeded: SeedSummary) -> None:
    for member in Member.objects.all():
        centroid = ZipCentroid.objects.get(zip_code=member.zip_code)
        assert centroid.state == member.state
        assert member.client_id == member.plan.client_id
    card_numbers = Member.objects.values("client", "member_id", "person_code").annotate(
        n=Count("id")
    )
    assert all(row["n"] == 1 for row in card_numbers)


def test_mail_orders_exist_in_every_status_with_a_timeline(seeded: SeedSummary) -> None:
    orders = list(MailOrder.objects.prefetch_related("events", "lines"))

    assert {order.status for order in orders} == set(OrderStatus.values)
    for order in orders:
        events = list(order.events.all())
        assert events[0].status == OrderStatus.RECEIVED
        assert events[-1].status == order.status
        assert all(e.occurred_at <= NOW for e in events)
        assert order.lines.exists()
        if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            assert order.carrier and order.tracking_number
        if order.status in (OrderStatus.ON_HOLD, OrderStatus.CANCELLED):
            assert order.status_reason


def test_demo_sign_ins_work_and_the_member_has_a_family(seeded: SeedSummary) -> None:
    for username, password in PASSWORDS.items():
        assert authenticate(username=username, password=password) is not None, username

    member = Member.objects.get(user__username="demo-member")
    assert member.relationship == "subscriber"
    assert member.plan.kind == PlanKind.COMMERCIAL
    dependents = {d.relationship: d for d in member.dependents.all()}
    assert set(dependents) == {"spouse", "child"}
    child = dependents["child"]
    assert child.date_of_birth > TODAY.replace(year=TODAY.year - 18)
    family_claims = Claim.objects.filter(member__in=[member, *dependents.values()])
    assert family_claims.filter(service_date__year=TODAY.year).exists()

    users = {u.username: u for u in User.objects.filter(username__in=PASSWORDS)}
    client = users["demo-client"]
    assert client.role == Role.CLIENT
    assert client.organization_claim == member.client.name
    assert users["demo-advisor"].role == Role.ADVISOR
    for username, role in (
        ("demo-accountteam", Role.ACCOUNT_TEAM),
        ("demo-service", Role.SERVICE_CENTER),
    ):
        staff = users[username]
        assert (staff.role, staff.is_staff) == (role, True)
        # Reference data in the back office; member records only in the staff console.
        assert staff.has_perm("plans.view_plan")
        assert not staff.has_perm("claims.view_claim")
        assert not staff.has_perm("members.view_member")
    assert not users["demo-member"].is_staff
    # The spouse signs in to their own record, the subscriber's adult dependent.
    assert Member.objects.get(user=users["demo-spouse"]) == dependents["spouse"]
    assert users["demo-spouse"].role == Role.MEMBER


@pytest.mark.django_db
def test_the_demo_family_shows_every_prescription_state(seeded: SeedSummary) -> None:
    member = Member.objects.get(user__username="demo-member")
    own = Prescription.objects.filter(member=member)
    visible_family = Prescription.objects.filter(
        member__in=[member, *member.dependents.exclude(relationship="spouse")]
    )

    assert own.filter(status="active", refills_remaining=0).exists()
    # (Schedule II prescriptions, one per fill, expire too: the lapsed one is the seed's.)
    lapsed = own.get(status="expired", expires_on=TODAY - dt.timedelta(days=20))
    assert lapsed.expires_on == TODAY - dt.timedelta(days=20)
    assert lapsed.last_filled_on is None or lapsed.last_filled_on < lapsed.expires_on
    assert visible_family.filter(
        status="active", auto_refill=True, refills_remaining__gt=0
    ).exists()


@pytest.mark.django_db
def test_demo_member_has_a_pending_formulary_change_alert_with_alternatives(
    seeded: SeedSummary,
) -> None:
    member = Member.objects.get(user__username="demo-member")
    [change] = FormularyChange.objects.filter(status=ChangeStatus.SCHEDULED)

    assert change.formulary_id == member.plan.formulary_id
    assert change.version.effective_on == TODAY + dt.timedelta(days=30)
    assert Prescription.objects.filter(member=member, drug=change.drug, status="active").exists()
    [alert] = Notification.objects.filter(
        recipient=member.user, kind="formulary.coverage_changing", channel="inbox"
    )
    assert change.drug.display_name in alert.body_text


def test_running_again_with_the_same_seed_does_nothing(seeded: SeedSummary) -> None:
    before = (Claim.objects.count(), Member.objects.count(), User.objects.count())
    out = StringIO()

    call_command("seed_demo", "--members", str(MEMBERS), "--seed", "7", "--no-progress", stdout=out)

    assert "already seeded" in out.getvalue()
    assert (Claim.objects.count(), Member.objects.count(), User.objects.count()) == before


def test_another_seed_on_a_seeded_database_is_refused(seeded: SeedSummary) -> None:
    with pytest.raises(DemoAlreadySeeded) as caught:
        _seed(seed=8)

    assert caught.value.code == "demo.already_seeded"


@pytest.mark.django_db
def test_the_command_prints_a_summary() -> None:
    out = StringIO()

    call_command(
        "seed_demo", "--members", "12", "--seed", "3", "--claims-per-member", "4",
        "--batch-size", "5", "--no-progress", stdout=out,
    )  # fmt: skip

    text = out.getvalue()
    assert "claim" in text and "rows/s" in text and "claims/s" in text
    assert Member.objects.count() == 12


@pytest.mark.django_db
def test_refuses_in_production(settings: Any) -> None:
    settings.RXPORTAL_ENV = "production"

    with pytest.raises(DemoRefusedInProduction):
        _seed()
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", "--members", "5", "--no-progress")
    assert not Member.objects.exists()


@pytest.mark.django_db
def test_seeding_builds_the_drug_trend_rollups_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from rxportal.analytics.models import DrugMonthRollup
    from rxportal.analytics.services import rebuild_claim_rollups

    with django_capture_on_commit_callbacks(execute=True):
        _seed()

    counted = Claim.objects.filter(status="paid", reversal__isnull=True)
    rolled_up = DrugMonthRollup.objects.values_list("claims", "total_cost")
    assert sum(n for n, _ in rolled_up) == counted.count() > 0
    assert sum(cost for _, cost in rolled_up) == sum(c.total_cost for c in counted)
    before = sorted(DrugMonthRollup.objects.values_list("month", "drug_id", "channel", "claims"))
    for client_id in {m.client_id for m in Member.objects.all()}:
        rebuild_claim_rollups(client_id=client_id)
    assert sorted(DrugMonthRollup.objects.values_list("month", "drug_id", "channel", "claims")) == (
        before
    )


@pytest.mark.django_db
def test_the_seed_leaves_demo_member_a_few_messages_in_the_inbox(seeded: SeedSummary) -> None:
    from django.db.models import Q

    from rxportal.notifications.models import Channel, Notification

    member = Member.objects.get(user__username="demo-member")
    inbox = Notification.objects.filter(recipient=member.user, channel=Channel.INBOX)

    kinds = set(inbox.values_list("kind", flat=True))
    assert kinds & {"prescriptions.auto_refill_placed", "prescriptions.auto_refill_blocked"}
    assert inbox.count() >= 2
    # Nobody outside the demo family was told about a member's event.
    members_events = Notification.objects.filter(
        Q(kind__startswith="prescriptions.")
        | Q(kind__startswith="orders.")
        | Q(kind__startswith="benefits.")
    )
    assert not members_events.exclude(
        recipient__username__in=["demo-member", "demo-spouse"]
    ).exists()


@pytest.mark.django_db
def test_demo_prescriptions_of_controlled_substances_are_lawful(seeded: SeedSummary) -> None:
    schedule_ii = Prescription.objects.filter(drug__dea_schedule="CII")
    assert schedule_ii.exists()
    # A Schedule II prescription is never refilled: no refills, no automatic refills, and each
    # paid fill has its own prescription.
    assert not schedule_ii.filter(refills_authorized__gt=0).exists()
    assert not schedule_ii.filter(auto_refill=True).exists()
    fills = (
        Claim.objects.filter(prescription__in=schedule_ii, status="paid", reverses__isnull=True)
        .values("prescription")
        .annotate(fills=Count("pk"))
    )
    assert fills and max(row["fills"] for row in fills) == 1
    # Schedules III-V: at most five refills, expiring six months after being written.
    for rx in Prescription.objects.filter(drug__dea_schedule__in=["CIII", "CIV", "CV"]):
        assert rx.refills_authorized <= 5
        assert rx.expires_on <= add_months(rx.written_on, 6)


@pytest.mark.django_db
def test_the_demo_family_can_ask_for_a_new_schedule_ii_prescription(seeded: SeedSummary) -> None:
    user = User.objects.get(username="demo-member")

    rows = [
        row
        for group in list_prescriptions_by_person(viewer=user, today=TODAY)
        for row in group.rows
        if row.prescription.drug.dea_schedule == "CII"
    ]

    assert rows
    assert all(row.status is RefillStatus.SCHEDULE_II and not row.can_refill for row in rows)
    assert any(row.can_request_renewal and row.needs_new_prescription for row in rows)


def test_the_claims_month_totals_match_the_seeded_claims(seeded: SeedSummary) -> None:
    assert Claim.objects.count() > MEMBERS
    assert kept_month_totals() == recompute_month_totals()
