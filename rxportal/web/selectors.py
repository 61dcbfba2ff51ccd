"""Reads that compose one page from the domain apps' selectors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from rxportal.claims.models import Claim
from rxportal.claims.selectors import (
    AccumulatorSummary,
    get_accumulator_summary,
    list_recent_claims,
)
from rxportal.members.models import Member
from rxportal.members.selectors import (
    family_visibility_cache,
    find_member_for_user,
    list_family_members_visible_to,
    support_contacts_for_member,
)
from rxportal.orders.models import MailOrder
from rxportal.orders.selectors import list_orders_in_progress
from rxportal.plans.models import Plan
from rxportal.plans.selectors import CostShareTable, list_cost_share_table
from rxportal.prescriptions.selectors import (
    PrescriptionAlert,
    PrescriptionRow,
    get_prescription_attention,
)

RECENT_CLAIMS_ON_DASHBOARD = 10
# Each "what needs attention" list shows at most this many items, with a link to the full page.
ATTENTION_ITEMS = 5


@dataclass(frozen=True)
class MemberDashboard:
    member: Member
    plan: Plan
    accumulators: AccumulatorSummary
    recent_claims: list[Claim]
    shows_family_claims: bool
    refills_due: list[PrescriptionRow] = field(default_factory=list)
    orders_in_progress: list[MailOrder] = field(default_factory=list)
    alerts: list[PrescriptionAlert] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(self.refills_due or self.orders_in_progress or self.alerts)


def find_member_dashboard(
    *, viewer: AbstractBaseUser | AnonymousUser, today: dt.date
) -> MemberDashboard | None:
    """Everything the member dashboard shows, or None when the viewer is not a plan member.

    What needs attention (refills due, orders on their way, prescription alerts), then the
    plan, spending and recent claims. Each app's selector decides its own rows; the viewer's
    member record and visible family are read once for all of them. Seven queries at most
    (member, family, accumulators, claims, prescriptions, their open renewals, orders), each
    loading only what the page shows; none per item.
    """
    with family_visibility_cache():
        member = find_member_for_user(user=viewer)
        if member is None:
            return None
        family = list_family_members_visible_to(viewer=viewer, today=today)
        accumulators = get_accumulator_summary(
            viewer=viewer, plan_year=member.plan.plan_year, family=family
        )
        assert accumulators is not None  # the viewer is a member
        attention = get_prescription_attention(viewer=viewer, today=today)
        return MemberDashboard(
            member=member,
            plan=member.plan,
            accumulators=accumulators,
            recent_claims=list_recent_claims(
                viewer=viewer, limit=RECENT_CLAIMS_ON_DASHBOARD, today=today
            ),
            shows_family_claims=len(family) > 1,
            refills_due=attention.refills_due[:ATTENTION_ITEMS],
            orders_in_progress=list_orders_in_progress(
                viewer=viewer, today=today, limit=ATTENTION_ITEMS, with_lines=False
            ),
            alerts=attention.alerts[:ATTENTION_ITEMS],
        )


# --- Benefits summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class BenefitsSummary:
    member: Member
    plan: Plan
    plan_year_start: dt.date
    plan_year_end: dt.date
    accumulators: AccumulatorSummary
    cost_shares: CostShareTable

    @property
    def insulin_monthly_cap(self) -> Decimal | None:
        return self.plan.insulin_monthly_cap


def find_benefits_summary(
    *, viewer: AbstractBaseUser | AnonymousUser, today: dt.date
) -> BenefitsSummary | None:
    """The viewer's plan year, deductible and out-of-pocket progress (their own and their
    family's) and the plan's tier table; None when the viewer is not a plan member.

    Plan years run with the calendar year (plans store the year only).
    """
    with family_visibility_cache():
        member = find_member_for_user(user=viewer)
        if member is None:
            return None
        plan = member.plan
        accumulators = get_accumulator_summary(viewer=viewer, plan_year=plan.plan_year)
    assert accumulators is not None  # the viewer is a member
    return BenefitsSummary(
        member=member,
        plan=plan,
        plan_year_start=dt.date(plan.plan_year, 1, 1),
        plan_year_end=dt.date(plan.plan_year, 12, 31),
        accumulators=accumulators,
        cost_shares=list_cost_share_table(plan=plan),
    )


# --- ID cards ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdCard:
    """The NCPDP pharmacy ID card fields of one member (what a pharmacy needs to bill)."""

    member: Member
    plan: Plan
    name: str
    member_id: str
    person_code: str
    rx_bin: str
    rx_pcn: str
    rx_group: str
    plan_name: str
    issuer: str
    member_services_phone: str
    pharmacist_phone: str
    tty: str
    coverage_start: dt.date
    coverage_end: dt.date | None


def id_card_for(member: Member) -> IdCard:
    """A member's card (`member.plan` and `member.client` should be fetched with the member).

    The issuer is the plan's issuer, else the client sponsoring the coverage; the phone numbers
    are the member's (``members.selectors.support_contacts_for_member``: the client's own
    member-services line when it has one, else the PBM's), the same the footer shows them.
    """
    contacts = support_contacts_for_member(member)
    plan = member.plan
    return IdCard(
        member=member,
        plan=plan,
        name=member.full_name,
        member_id=member.member_id,
        person_code=member.person_code,
        rx_bin=plan.rx_bin,
        rx_pcn=plan.rx_pcn,
        rx_group=plan.rx_group,
        plan_name=plan.name,
        issuer=plan.issuer_name or member.client.name,
        member_services_phone=contacts.member_phone,
        pharmacist_phone=contacts.pharmacist_phone,
        tty=contacts.tty,
        coverage_start=member.coverage_start,
        coverage_end=member.coverage_end,
    )


def list_id_cards(*, viewer: AbstractBaseUser | AnonymousUser, today: dt.date) -> list[IdCard]:
    """The viewer's card first, then those of the family members they may see."""
    return [
        id_card_for(member) for member in list_family_members_visible_to(viewer=viewer, today=today)
    ]
