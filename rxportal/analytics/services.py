"""Writing the claims rollups: incremental refresh when claims load, and the full rebuild.

`refresh_claim_rollups(client_id=, months=)` recomputes the (client, month) cells of the given
months from the claims, in one transaction: it locks the client row (so two refreshes of one
client queue up), deletes those months' rows of the rollups and inserts the new ones (and recounts the
periods containing them) (plain
DELETE + INSERT, the same on SQLite and PostgreSQL). Nothing else is touched.

Which months a load affects: the months of service of the loaded rows. A reversal carries the
original's date of service (NCPDP), so it lands in the original's month. Because "reached the
deductible / out-of-pocket maximum by the end of the month" accumulates over the plan (calendar)
year, a touched month also refreshes the later months of its year, up to the client's latest
month of service. Loaders call `schedule_claim_rollup_refresh`, which enqueues the Celery task
on commit (eager in the embedded default and in tests).

Eligibility (PMPM denominators) is counted on the member's current plan (`Member.plan`: the
project keeps no plan history yet) for months from the client's first to its last month of
service; "reached" uses the plan's individual deductible and out-of-pocket maximum.

Counted claims: status paid and not reversed by another row. Rejected claims, reversed
originals and reversal rows count nowhere.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from rxportal.analytics.domain import (
    PeriodKind,
    add_months,
    compute_period,
    month_start,
    months_between,
)
from rxportal.analytics.models import DrugMonthRollup, MemberMonthRollup, PeriodMemberRollup
from rxportal.claims.models import Claim, ClaimStatus
from rxportal.clients.models import Client
from rxportal.members.models import Member
from rxportal.plans.models import Plan

ZERO = Decimal("0.00")
BATCH = 5000


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    client_id: int
    months: tuple[dt.date, ...]
    drug_rows: int
    member_rows: int


def counted_claims(client_id: int) -> QuerySet[Claim]:
    """The claims the rollups count, for one client (a queryset)."""
    return Claim.objects.filter(
        member__client_id=client_id, status=ClaimStatus.PAID, reversal__isnull=True
    )


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def expand_months(months: Iterable[dt.date], *, latest: dt.date | None) -> list[dt.date]:
    """Each month, and the later months of its calendar year up to `latest` (month start)."""
    out: set[dt.date] = set()
    for month in {month_start(m) for m in months}:
        out.add(month)
        if latest is None:
            continue
        following = add_months(month, 1)
        while following.year == month.year and following <= latest:
            out.add(following)
            following = add_months(following, 1)
    return sorted(out)


def refresh_claim_rollups(*, client_id: int, months: Iterable[dt.date]) -> RefreshSummary:
    """Recompute the rollup rows of `client_id` for `months` (see the module docstring)."""
    requested = list(months)
    with transaction.atomic():
        Client.objects.select_for_update().only("id").get(pk=client_id)
        latest = counted_claims(client_id).aggregate(last=Max("service_date"))["last"]
        targets = expand_months(requested, latest=month_start(latest) if latest else None)
        if not targets:
            return RefreshSummary(client_id, (), 0, 0)
        DrugMonthRollup.objects.filter(client_id=client_id, month__in=targets).delete()
        MemberMonthRollup.objects.filter(client_id=client_id, month__in=targets).delete()
        drug_rows = _insert_drug_rows(client_id, targets)
        member_rows = _insert_member_rows(client_id, targets)
        _replace_period_rows(client_id, targets)
    return RefreshSummary(client_id, tuple(targets), drug_rows, member_rows)


def rebuild_claim_rollups(*, client_id: int) -> RefreshSummary:
    """Every month of the client, from its first to its last month of service; months outside
    that range (left from claims that no longer count) are deleted."""
    with transaction.atomic():
        Client.objects.select_for_update().only("id").get(pk=client_id)
        span = counted_claims(client_id).aggregate(
            first=Min("service_date"), last=Max("service_date")
        )
        DrugMonthRollup.objects.filter(client_id=client_id).delete()
        MemberMonthRollup.objects.filter(client_id=client_id).delete()
        PeriodMemberRollup.objects.filter(client_id=client_id).delete()
        if span["first"] is None:
            return RefreshSummary(client_id, (), 0, 0)
        return refresh_claim_rollups(
            client_id=client_id, months=months_between(span["first"], span["last"])
        )


def schedule_claim_rollup_refresh(*, client_id: int, service_dates: Iterable[dt.date]) -> None:
    """For loaders: after the surrounding transaction commits, refresh the months touched."""
    from rxportal.analytics.tasks import refresh_claim_rollups as refresh_task

    months = sorted({month_start(day).isoformat() for day in service_dates})
    if months:
        transaction.on_commit(lambda: refresh_task.delay(client_id=client_id, months=months))


def schedule_claim_rollup_rebuild(*, client_id: int) -> None:
    """For bulk loads spanning many months (seed_demo): rebuild the client after commit."""
    from rxportal.analytics.tasks import rebuild_claim_rollups as rebuild_task

    transaction.on_commit(lambda: rebuild_task.delay(client_id=client_id))


def _month_filter(targets: list[dt.date]) -> Q:
    return Q(service_date__gte=targets[0], service_date__lt=add_months(targets[-1], 1))


def _insert_drug_rows(client_id: int, targets: list[dt.date]) -> int:
    wanted = set(targets)
    cells = (
        counted_claims(client_id)
        .filter(_month_filter(targets))
        .annotate(month=TruncMonth("service_date"))
        # The drug's brand flag and class depend on the drug: grouping by them adds no cells.
        .values(
            "month",
            "plan_id",
            "drug_id",
            "tier",
            "channel",
            "drug__is_brand",
            "drug__therapeutic_class",
        )
        .annotate(
            claim_count=Count("id"),
            days=Sum("days_supply"),
            cost=Sum("total_cost"),
            plan=Sum("plan_paid"),
            paid_by_member=Sum("member_paid"),
            people=Count("member_id", distinct=True),
        )
        .order_by()
    )
    rows = []
    for cell in cells:
        month = _as_date(cell["month"])
        if month not in wanted:
            continue
        rows.append(
            DrugMonthRollup(
                client_id=client_id,
                plan_id=cell["plan_id"],
                month=month,
                drug_id=cell["drug_id"],
                tier=cell["tier"],
                channel=cell["channel"],
                is_brand=cell["drug__is_brand"],
                therapeutic_class=cell["drug__therapeutic_class"],
                claims=cell["claim_count"],
                days_supply=cell["days"],
                total_cost=cell["cost"],
                plan_paid=cell["plan"],
                member_paid=cell["paid_by_member"],
                utilizers=cell["people"],
            )
        )
    DrugMonthRollup.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


@dataclass
class _MemberMonth:
    eligible: bool = False
    claims: int = 0
    total_cost: Decimal = ZERO
    plan_paid: Decimal = ZERO
    member_paid: Decimal = ZERO
    deductible: Decimal = ZERO
    oop: Decimal = ZERO


def _insert_member_rows(client_id: int, targets: list[dt.date]) -> int:
    """Eligible member-months of the target months (on the member's plan), plus a row for every
    member, plan and month with counted claims (a member whose claims of an earlier year were on
    that year's plan). Deductible / OOP reached: the individual amounts applied since January 1
    of the month's year, up to the month's end, against the plan's individual amounts."""
    wanted = set(targets)
    cells: dict[tuple[int, int, dt.date], _MemberMonth] = defaultdict(_MemberMonth)
    first, last = targets[0], targets[-1]
    period_end = add_months(last, 1) - dt.timedelta(days=1)
    eligible = (
        Member.objects.filter(client_id=client_id, coverage_start__lte=period_end)
        .filter(Q(coverage_end__isnull=True) | Q(coverage_end__gte=first))
        .values_list("id", "plan_id", "coverage_start", "coverage_end")
    )
    for member_id, plan_id, start, end in eligible:
        for month in months_between(max(start, first), min(end or period_end, period_end)):
            if month in wanted:
                cells[(member_id, plan_id, month)].eligible = True

    # From January 1 of the first target year: the year-to-date amounts need earlier months.
    since = dt.date(first.year, 1, 1)
    sums = (
        counted_claims(client_id)
        .filter(service_date__gte=since, service_date__lte=period_end)
        .annotate(month=TruncMonth("service_date"))
        .values("member_id", "plan_id", "month")
        .annotate(
            claim_count=Count("id"),
            cost=Sum("total_cost"),
            plan=Sum("plan_paid"),
            paid_by_member=Sum("member_paid"),
            deductible=Sum("deductible_applied"),
            oop=Sum("oop_applied"),
        )
        .order_by()
    )
    # Per member, plan and year: (month, deductible, OOP applied to date), months ascending.
    running: dict[tuple[int, int, int], list[tuple[dt.date, Decimal, Decimal]]] = defaultdict(list)
    # Evaluated at once and sorted here: a server-side cursor (iterator()) makes PostgreSQL plan
    # for the first rows and took 10x longer; the rows are one per member and month.
    rows_in_order = sorted(
        ({**row, "month": _as_date(row["month"])} for row in sums),
        key=lambda row: (row["member_id"], row["plan_id"], row["month"]),
    )
    for row in rows_in_order:
        month = row["month"]
        steps = running[(row["member_id"], row["plan_id"], month.year)]
        ded, oop = (steps[-1][1], steps[-1][2]) if steps else (ZERO, ZERO)
        steps.append((month, ded + row["deductible"], oop + row["oop"]))
        if month in wanted:
            cell = cells[(row["member_id"], row["plan_id"], month)]
            cell.claims = row["claim_count"]
            cell.total_cost, cell.plan_paid = row["cost"], row["plan"]
            cell.member_paid = row["paid_by_member"]

    thresholds = {
        plan_id: (ded, oop)
        for plan_id, ded, oop in Plan.objects.filter(
            pk__in={plan_id for _, plan_id, _ in cells}
        ).values_list("id", "deductible_individual", "oop_max_individual")
    }
    rows = []
    for (member_id, plan_id, month), cell in cells.items():
        ded_max, oop_max = thresholds[plan_id]
        ded, oop = _to_date(running.get((member_id, plan_id, month.year), []), month)
        rows.append(
            MemberMonthRollup(
                client_id=client_id,
                plan_id=plan_id,
                month=month,
                member_id=member_id,
                eligible=cell.eligible,
                claims=cell.claims,
                total_cost=cell.total_cost,
                plan_paid=cell.plan_paid,
                member_paid=cell.member_paid,
                reached_deductible=ded_max > 0 and ded >= ded_max,
                reached_oop_max=oop_max > 0 and oop >= oop_max,
            )
        )
    MemberMonthRollup.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _to_date(
    steps: list[tuple[dt.date, Decimal, Decimal]], month: dt.date
) -> tuple[Decimal, Decimal]:
    """Deductible and OOP applied from January 1 to the end of `month` (steps ascending)."""
    index = bisect_right(steps, month, key=lambda step: step[0])
    if not index:
        return ZERO, ZERO
    return steps[index - 1][1], steps[index - 1][2]


def period_member_counts(scope: Q, months: Iterable[dt.date]) -> dict[str, Any]:
    """Distinct members over member-month rows of `months` (exact: one row per member-month)."""
    in_period = Q(month__in=list(months))
    return {
        "member_months": Count("id", filter=in_period & Q(eligible=True)),
        "members": Count("member_id", filter=in_period & Q(eligible=True), distinct=True),
        "utilizers": Count("member_id", filter=in_period & Q(claims__gt=0), distinct=True),
        "reached_deductible": Count(
            "member_id", filter=in_period & Q(reached_deductible=True), distinct=True
        ),
        "reached_oop_max": Count(
            "member_id", filter=in_period & Q(reached_oop_max=True), distinct=True
        ),
    }


def _replace_period_rows(client_id: int, targets: list[dt.date]) -> None:
    """Recount every month, quarter and plan year that contains a target month, per plan and
    for the whole client, from the member-month rows (other months' rows are current)."""
    periods = {compute_period(kind, month) for month in targets for kind in PeriodKind}
    stale = Q()
    for period in periods:
        stale |= Q(kind=period.kind.value, start=period.start)
    PeriodMemberRollup.objects.filter(stale, client_id=client_id).delete()
    rows = []
    for period in sorted(periods, key=lambda p: (p.kind.value, p.start)):
        in_months = MemberMonthRollup.objects.filter(client_id=client_id, month__in=period.months)
        counts = period_member_counts(Q(), period.months)
        per_plan = in_months.values("plan_id").annotate(**counts).order_by()
        whole = in_months.aggregate(**counts)
        for plan_id, figures in [(row.pop("plan_id"), row) for row in per_plan] + [(None, whole)]:
            if not figures["member_months"] and not figures["utilizers"]:
                continue
            rows.append(
                PeriodMemberRollup(
                    client_id=client_id, plan_id=plan_id, kind=period.kind.value,
                    start=period.start, **figures,
                )
            )  # fmt: skip
    PeriodMemberRollup.objects.bulk_create(rows, batch_size=BATCH)
