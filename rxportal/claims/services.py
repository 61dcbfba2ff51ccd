"""Use cases that write about claims: telling members when a claim load pushes an accumulator
over its plan's deductible or out-of-pocket maximum.

Claims and accumulators are written in bulk by loads (the demo seed today, a claims feed
later). A load calls ``send_benefit_limit_notices`` in its transaction with the members whose
claims it wrote: whoever is over a line and not yet told this plan year is told, once per
plan year and limit (the outbox's idempotency key), however many loads follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q

from rxportal.claims.models import Accumulator, AccumulatorScope
from rxportal.members.notices import notify_people_who_may_see
from rxportal.members.selectors import list_family_members_with_accounts, list_subscriber_ids_of
from rxportal.notifications.services import notify

DEDUCTIBLE_MET = "benefits.deductible_met"
OUT_OF_POCKET_MAX_REACHED = "benefits.out_of_pocket_max_reached"


def send_benefit_limit_notices(*, member_ids: Iterable[int], plan_year: int, today: dt.date) -> int:
    """Tell the people concerned about every deductible met and out-of-pocket maximum reached
    in ``plan_year`` by these members (their own limits) or their families (the family limits,
    kept on the subscriber's row). Individual limits reach the person and whoever may see
    their records (the one access rule); a family limit reaches each family member with an
    account (every one of them sees the family's progress on their benefits). Returns how
    many limits were found reached (told now or before)."""
    ids = set(member_ids)
    if not ids:
        return 0
    heads = list_subscriber_ids_of(member_ids=ids)
    rows = (
        Accumulator.objects.filter(plan_year=plan_year)
        .filter(
            Q(scope=AccumulatorScope.INDIVIDUAL, member_id__in=ids)
            | Q(scope=AccumulatorScope.FAMILY, member_id__in=ids | heads)
        )
        .select_related("member", "plan")
        .order_by("pk")
    )
    reached = 0
    for row in rows:
        for kind, met, limit in _limits(row):
            if limit is None or limit <= 0 or met < limit:
                continue
            reached += 1
            context = {"plan_year": plan_year, "limit": limit}
            key = f"{row.member.public_id}:{plan_year}:{row.scope}"
            if row.scope == AccumulatorScope.INDIVIDUAL:
                notify_people_who_may_see(
                    member=row.member,
                    kind=kind,
                    context={**context, "is_family": False},
                    idempotency_key=key,
                    link_path="/claims/",
                    today=today,
                )
            else:
                _tell_family(subscriber_id=row.member_id, kind=kind, context=context, key=key)
    return reached


def _limits(row: Accumulator) -> list[tuple[str, Decimal, Decimal | None]]:
    plan = row.plan
    if row.scope == AccumulatorScope.INDIVIDUAL:
        return [
            (DEDUCTIBLE_MET, row.deductible_met, plan.deductible_individual),
            (OUT_OF_POCKET_MAX_REACHED, row.oop_met, plan.oop_max_individual),
        ]
    return [
        (DEDUCTIBLE_MET, row.deductible_met, plan.deductible_family),
        (OUT_OF_POCKET_MAX_REACHED, row.oop_met, plan.oop_max_family),
    ]


def _tell_family(*, subscriber_id: int, kind: str, context: dict[str, object], key: str) -> None:
    for member in list_family_members_with_accounts(subscriber_id=subscriber_id):
        assert member.user is not None
        notify(
            recipient=member.user,
            kind=kind,
            context={
                **context,
                "is_family": True,
                "recipient_first_name": member.user.first_name,
                "patient_first_name": member.first_name,
                "is_about_self": True,
            },
            idempotency_key=f"{key}:to:{member.user.pk}",
            link_path="/claims/",
            about_member=member,
        )
