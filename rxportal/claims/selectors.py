"""Reads of claims and accumulators, scoped to the signed-in viewer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from rxportal.claims.models import Accumulator, AccumulatorScope, Claim
from rxportal.core.money import ZERO
from rxportal.members.selectors import find_member_for_user, list_family_members_visible_to

Viewer = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class AmountProgress:
    """How much of a plan-year limit (deductible or out-of-pocket maximum) has been used."""

    used: Decimal
    maximum: Decimal
    left: Decimal

    @classmethod
    def of(cls, *, used: Decimal, maximum: Decimal) -> AmountProgress:
        return cls(used=used, maximum=maximum, left=max(maximum - used, ZERO))

    @property
    def used_within_maximum(self) -> Decimal:
        """`used`, capped at the maximum: the value a progress bar can show."""
        return min(self.used, self.maximum)


@dataclass(frozen=True)
class AccumulatorSummary:
    """Deductible and out-of-pocket progress for one member's plan year.

    The family amounts are None when the plan has no family limits or the member has no
    family on the plan (self-only coverage).
    """

    plan_year: int
    individual_deductible: AmountProgress
    individual_oop: AmountProgress
    family_deductible: AmountProgress | None
    family_oop: AmountProgress | None

    @property
    def has_family(self) -> bool:
        return self.family_deductible is not None or self.family_oop is not None


def list_recent_claims(
    *, viewer: Viewer, limit: int = 10, today: dt.date | None = None
) -> list[Claim]:
    """The newest claims of the viewer and of the family members they may see, newest first."""
    visible = list_family_members_visible_to(viewer=viewer, today=today)
    if not visible:
        return []
    return list(
        Claim.objects.filter(member__in=visible)
        .select_related("member", "drug", "pharmacy")
        .order_by("-service_date", "-id")[:limit]
    )


def get_accumulator_summary(*, viewer: Viewer, plan_year: int) -> AccumulatorSummary | None:
    """The viewer's own and family accumulators against their plan's limits; None for non-members."""
    member = find_member_for_user(user=viewer)
    if member is None:
        return None
    plan = member.plan
    family_head_id = member.family_head_id
    rows = list(
        Accumulator.objects.filter(
            plan=plan, plan_year=plan_year, member_id__in={member.pk, family_head_id}
        )
    )
    individual = _find_row(rows, member_id=member.pk, scope=AccumulatorScope.INDIVIDUAL)
    family = _find_row(rows, member_id=family_head_id, scope=AccumulatorScope.FAMILY)

    has_family_on_plan = member.subscriber_id is not None or member.dependents.exists()
    family_deductible = family_oop = None
    if has_family_on_plan and plan.deductible_family is not None:
        family_deductible = AmountProgress.of(
            used=family.deductible_met if family else ZERO, maximum=plan.deductible_family
        )
    if has_family_on_plan and plan.oop_max_family is not None:
        family_oop = AmountProgress.of(
            used=family.oop_met if family else ZERO, maximum=plan.oop_max_family
        )
    return AccumulatorSummary(
        plan_year=plan_year,
        individual_deductible=AmountProgress.of(
            used=individual.deductible_met if individual else ZERO,
            maximum=plan.deductible_individual,
        ),
        individual_oop=AmountProgress.of(
            used=individual.oop_met if individual else ZERO, maximum=plan.oop_max_individual
        ),
        family_deductible=family_deductible,
        family_oop=family_oop,
    )


def _find_row(rows: list[Accumulator], *, member_id: int, scope: str) -> Accumulator | None:
    for row in rows:
        if row.member_id == member_id and row.scope == scope:
            return row
    return None
