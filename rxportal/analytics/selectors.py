"""Reads for the drug-trend analytics: only the rollups (never the claims table).

`get_drug_trend` checks who asks (`can_view_drug_trend`, or the `can_view` callable given),
reads the current and prior period's member counts (`PeriodMemberRollup`) and drug
aggregates (`DrugMonthRollup`), one query each, and hands
them to `analytics.domain.compute_trend_report`, which applies the small-cell suppression.
It also reads the chart's monthly series (`analytics.series`: member counts of the months and
paid amounts per month, one query each) for the months up to the period's end.
The figures are de-identified aggregates: no PHI, so no PHI-view audit entry is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Max, Q, Sum, Value, When

from rxportal.accounts.models import STAFF_ROLES
from rxportal.analytics.domain import (
    DrugAggregate,
    Period,
    PeriodKind,
    PeriodTotals,
    TrendReport,
    compute_period,
    compute_prior_period,
    compute_trend_report,
)
from rxportal.analytics.errors import DrugTrendNotFound
from rxportal.analytics.models import DrugMonthRollup, PeriodMemberRollup
from rxportal.analytics.series import (
    MonthlyCost,
    MonthTotals,
    compute_chart_months,
    compute_monthly_costs,
)
from rxportal.analytics.suppression import PlanCounts
from rxportal.clients.domain import Tool
from rxportal.clients.models import Client
from rxportal.clients.selectors import find_live_grant
from rxportal.core import clock
from rxportal.core.db_router import reading_from_replica
from rxportal.formulary.domain import compute_display_name
from rxportal.formulary.models import Drug
from rxportal.plans.models import Plan

AccessCheck = Callable[[Any, Client], bool]


def can_view_drug_trend(viewer: Any, client: Client) -> bool:
    """THE access hook for drug-trend reports: signed-in PBM staff roles (the account team
    supports clients on these de-identified figures), or a viewer holding a live drug-trend grant
    for this client (linked now, not revoked, not expired; `clients.selectors.find_live_grant`)."""
    if not (getattr(viewer, "is_authenticated", False) and getattr(viewer, "is_active", False)):
        return False
    if getattr(viewer, "role", None) in STAFF_ROLES:
        return True
    grant = find_live_grant(
        viewer=viewer, client_public_id=client.public_id, tool=Tool.DRUG_TREND, now=clock.now()
    )
    return grant is not None


@dataclass(frozen=True, slots=True)
class DrugLabel:
    rxcui: str
    name: str  # the readable name (Drug.display_name); the RxNorm code is the identifier


@dataclass(frozen=True, slots=True)
class DrugTrend:
    client_public_id: str
    plan_public_id: str | None
    report: TrendReport  # top_drugs keys are RxNorm codes; top_classes keys are class names
    drugs: dict[str, DrugLabel]  # rxcui -> label, for the top drugs
    monthly: list[MonthlyCost]  # the chart: cost per member per month up to the period's end


def get_drug_trend(
    *,
    viewer: Any,
    client_id: int,
    plan_id: int | None,
    period: PeriodKind,
    day: dt.date,
    top: int = 10,
    can_view: AccessCheck = can_view_drug_trend,
) -> DrugTrend:
    """The drug trend of the period (month, quarter or plan year) containing `day` against the
    prior one, for the client or one of its plans. Raises `DrugTrendNotFound` when the client or
    plan does not exist, the plan is another client's, or the viewer may not see it."""
    client = Client.objects.filter(pk=client_id).only("id", "public_id").first()
    if client is None or not can_view(viewer, client):
        raise DrugTrendNotFound("No drug trend to show.")
    plan_public_id = None
    if plan_id is not None:
        plan = Plan.objects.filter(pk=plan_id, client_id=client_id).only("public_id").first()
        if plan is None:
            raise DrugTrendNotFound("No drug trend to show.")
        plan_public_id = str(plan.public_id)

    # The figures (rollups, drug names) from the replica; the grant check above, the primary.
    with reading_from_replica():
        current = compute_period(period, day)
        prior = compute_prior_period(current)
        scope = Q(client_id=client_id) & (Q(plan_id=plan_id) if plan_id is not None else Q())
        totals, prior_totals = _period_totals(client_id, plan_id, current, prior)
        rows, prior_rows = _drug_aggregates(scope, current.months, prior.months)
        report = compute_trend_report(
            period=current,
            prior_period=prior,
            totals=totals,
            prior_totals=prior_totals,
            current=rows,
            prior=prior_rows,
            top=top,
        )
        named = {
            pk: DrugLabel(rxcui, compute_display_name(name))
            for pk, rxcui, name in Drug.objects.filter(
                pk__in=[int(r.key) for r in report.top_drugs]
            ).values_list("id", "rxcui", "name")
        }
        report = replace(
            report,
            top_drugs=[replace(r, key=named[int(r.key)].rxcui) for r in report.top_drugs],
        )
        labels = {label.rxcui: label for label in named.values()}
        chart_months = compute_chart_months(current)
        monthly = compute_monthly_costs(
            chart_months, _month_totals(client_id, plan_id, scope, chart_months)
        )
    return DrugTrend(str(client.public_id), plan_public_id, report, labels, monthly)


def _month_totals(
    client_id: int, plan_id: int | None, scope: Q, months: list[dt.date]
) -> dict[dt.date, MonthTotals]:
    """Per month: member counts (precomputed per month at refresh) and paid amounts."""
    people: dict[dt.date, tuple[int, int, int]] = {}
    plans: dict[dt.date, list[PlanCounts]] = defaultdict(list)
    for start, row_plan, member_months, members, utilizers in PeriodMemberRollup.objects.filter(
        Q(plan_id=plan_id) if plan_id is not None else Q(),
        client_id=client_id,
        kind=PeriodKind.MONTH.value,
        start__in=months,
    ).values_list("start", "plan_id", "member_months", "members", "utilizers"):
        if plan_id is None and row_plan is not None:  # client level: its plans' rows too
            plans[start].append(PlanCounts(members, utilizers))
        else:
            people[start] = (member_months, members, utilizers)
    paid = {
        row["month"]: (row["plan"], row["paid_by_member"])
        for row in DrugMonthRollup.objects.filter(scope, month__in=months)
        .values("month")
        .annotate(plan=Sum("plan_paid"), paid_by_member=Sum("member_paid"))
        .order_by()
    }
    totals = {}
    for month in months:
        if month not in people and month not in paid:
            continue
        member_months, members, utilizers = people.get(month, (0, 0, 0))
        plan_paid, member_paid = paid.get(month, (Decimal("0.00"), Decimal("0.00")))
        totals[month] = MonthTotals(
            month, member_months, members, utilizers, plan_paid, member_paid,
            plans=tuple(plans.get(month, ())),
        )  # fmt: skip
    return totals


def _period_totals(
    client_id: int, plan_id: int | None, current: Period, prior: Period
) -> tuple[PeriodTotals, PeriodTotals]:
    """The two periods' distinct-member counts, precomputed at refresh; at client level with each
    plan's counts too (for the suppression across plans), in one query."""
    rows: dict[dt.date, list[int]] = {}
    plans: dict[dt.date, list[PlanCounts]] = defaultdict(list)
    for start, row_plan, *counts in PeriodMemberRollup.objects.filter(
        Q(plan_id=plan_id) if plan_id is not None else Q(),
        client_id=client_id,
        kind=current.kind.value,
        start__in=[current.start, prior.start],
    ).values_list(
        "start", "plan_id", "member_months", "members", "utilizers", "reached_deductible",
        "reached_oop_max",
    ):  # fmt: skip
        if plan_id is None and row_plan is not None:
            plans[start].append(PlanCounts(*counts[1:]))
        else:
            rows[start] = counts
    empty = [0, 0, 0, 0, 0]

    def totals(start: dt.date) -> PeriodTotals:
        member_months, members, utilizers, deductible, oop_max = rows.get(start, empty)
        return PeriodTotals(
            member_months, members, utilizers, deductible, oop_max, tuple(plans.get(start, ()))
        )

    return totals(current.start), totals(prior.start)


def _drug_aggregates(
    scope: Q, months: tuple[dt.date, ...], prior_months: tuple[dt.date, ...]
) -> tuple[list[DrugAggregate], list[DrugAggregate]]:
    rows = (
        DrugMonthRollup.objects.filter(scope, month__in=[*months, *prior_months])
        .annotate(
            bucket=Case(
                When(month__in=months, then=Value("c")),
                default=Value("p"),
                output_field=CharField(),
            )
        )
        .values("bucket", "plan_id", "drug_id", "therapeutic_class", "tier", "channel", "is_brand")
        .annotate(
            n=Sum("claims"),
            days=Sum("days_supply"),
            cost=Sum("total_cost"),
            plan=Sum("plan_paid"),
            paid_by_member=Sum("member_paid"),
            most=Max("utilizers"),
            total_people=Sum("utilizers"),
        )
        .order_by()
    )
    current: list[DrugAggregate] = []
    prior: list[DrugAggregate] = []
    for row in rows:
        (current if row["bucket"] == "c" else prior).append(
            DrugAggregate(
                drug_key=str(row["drug_id"]),
                drug_class=row["therapeutic_class"],
                tier=row["tier"],
                channel=row["channel"],
                is_brand=row["is_brand"],
                claims=row["n"],
                days_supply=row["days"],
                total_cost=row["cost"],
                plan_paid=row["plan"],
                member_paid=row["paid_by_member"],
                max_cell_utilizers=row["most"],
                sum_cell_utilizers=row["total_people"],
                plan_key=str(row["plan_id"]),
            )
        )
    return current, prior


def list_client_plans(*, client_id: int) -> list[Plan]:
    """The client's plans by name, for the dashboard's plan filter (plan names, no PHI)."""
    return list(Plan.objects.filter(client_id=client_id).order_by("name"))
