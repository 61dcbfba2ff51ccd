"""Reads that compose one page from the domain apps' selectors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from rxportal.claims.models import Claim
from rxportal.claims.selectors import (
    AccumulatorSummary,
    get_accumulator_summary,
    list_recent_claims,
)
from rxportal.members.models import Member
from rxportal.members.selectors import find_member_for_user, list_family_members_visible_to
from rxportal.plans.models import Plan

RECENT_CLAIMS_ON_DASHBOARD = 10


@dataclass(frozen=True)
class MemberDashboard:
    member: Member
    plan: Plan
    accumulators: AccumulatorSummary
    recent_claims: list[Claim]
    shows_family_claims: bool


def find_member_dashboard(
    *, viewer: AbstractBaseUser | AnonymousUser, today: dt.date
) -> MemberDashboard | None:
    """Everything the member dashboard shows, or None when the viewer is not a plan member."""
    member = find_member_for_user(user=viewer)
    if member is None:
        return None
    accumulators = get_accumulator_summary(viewer=viewer, plan_year=member.plan.plan_year)
    assert accumulators is not None  # the viewer is a member
    return MemberDashboard(
        member=member,
        plan=member.plan,
        accumulators=accumulators,
        recent_claims=list_recent_claims(
            viewer=viewer, limit=RECENT_CLAIMS_ON_DASHBOARD, today=today
        ),
        shows_family_claims=len(list_family_members_visible_to(viewer=viewer, today=today)) > 1,
    )
