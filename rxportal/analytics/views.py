"""The drug-trend dashboard: the clients' tool page for `drug-trend`, open with a live grant, and
its CSV and PDF exports for the same filters.

Routed ahead of `clients:tool` for this one tool, so the clients app does not import analytics.
Figures come only from `get_drug_trend` (the rollups), never from the claims table; what the
page and the files show is built once, in `analytics.presentation`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from rxportal.analytics import exports
from rxportal.analytics.domain import PeriodKind
from rxportal.analytics.errors import DrugTrendNotFound
from rxportal.analytics.presentation import Dashboard, build_dashboard, export_filename
from rxportal.analytics.selectors import get_drug_trend, list_client_plans
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.clients import selectors, services
from rxportal.clients.domain import Tool
from rxportal.clients.models import ToolGrant
from rxportal.clients.views.access import permission_page
from rxportal.core import clock
from rxportal.plans.models import Plan

ACTION_TOOL_OPENED = "clients.tool.opened"
ACTION_TOOL_EXPORTED = "clients.tool.exported"
FIRST_YEAR, LAST_YEAR = 1901, 2999  # a `day` outside these years falls back to today


@dataclass(frozen=True)
class _Loaded:
    grant: ToolGrant
    plans: list[Plan]
    plan: Plan | None
    period: PeriodKind
    day: dt.date
    dashboard: Dashboard


def _load(request: HttpRequest, client_public_id: uuid.UUID) -> _Loaded:
    """The grant, the filters from the query string and the dashboard; 404 without a live grant
    or for a plan that is not this client's."""
    grant = selectors.find_live_grant(
        viewer=request.user,
        client_public_id=client_public_id,
        tool=Tool.DRUG_TREND,
        now=clock.now(),
    )
    if grant is None:
        raise Http404
    plans = list_client_plans(client_id=grant.client_id)
    plan = None
    if request.GET.get("plan"):
        plan = next((p for p in plans if str(p.public_id) == request.GET["plan"]), None)
        if plan is None:
            raise Http404
    try:
        period = PeriodKind(request.GET.get("period") or PeriodKind.MONTH)
    except ValueError:
        period = PeriodKind.MONTH
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or "")
    except ValueError:
        day = clock.now().date()
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # year 1 has no prior period: today instead
        day = clock.now().date()
    try:
        trend = get_drug_trend(
            viewer=request.user,
            client_id=grant.client_id,
            plan_id=plan.pk if plan else None,
            period=period,
            day=day,
            # The live grant found above is the access check: not a second lookup of it.
            can_view=lambda viewer, client: client.pk == grant.client_id,
        )
    except DrugTrendNotFound as error:
        raise Http404 from error
    dashboard = build_dashboard(
        trend, client_name=grant.client.name, plan_name=plan.name if plan else None
    )
    return _Loaded(grant, plans, plan, period, day, dashboard)


def _audit(request: HttpRequest, grant: ToolGrant, action: str, **details: str) -> None:
    """De-identified figures: no PHI in the details (the tool and, for a file, its format)."""
    record_event(
        action=action,
        outcome=Outcome.SUCCESS,
        actor=request.user,
        request=request,
        subject=grant,
        details={"tool": Tool.DRUG_TREND.value, "phi_level": False, **details},
    )


@permission_page(services.PERM_PORTAL)
def drug_trend_dashboard(request: HttpRequest, client_public_id: uuid.UUID) -> HttpResponse:
    loaded = _load(request, client_public_id)
    _audit(request, loaded.grant, ACTION_TOOL_OPENED)
    query = request.GET.urlencode()
    return render(
        request,
        "analytics/drug_trend.html",
        {
            "grant": loaded.grant,
            "plans": loaded.plans,
            "plan": loaded.plan,
            "period": loaded.period.value,
            "day": loaded.day,
            "dashboard": loaded.dashboard,
            "export_query": f"?{query}" if query else "",
        },
    )


@permission_page(services.PERM_PORTAL)
def drug_trend_csv(request: HttpRequest, client_public_id: uuid.UUID) -> HttpResponse:
    loaded = _load(request, client_public_id)
    _audit(request, loaded.grant, ACTION_TOOL_EXPORTED, format="csv")
    response = HttpResponse(
        exports.render_csv(loaded.dashboard), content_type="text/csv; charset=utf-8"
    )
    filename = export_filename(loaded.dashboard, "csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@permission_page(services.PERM_PORTAL)
def drug_trend_pdf(request: HttpRequest, client_public_id: uuid.UUID) -> HttpResponse:
    loaded = _load(request, client_public_id)
    _audit(request, loaded.grant, ACTION_TOOL_EXPORTED, format="pdf")
    response = HttpResponse(exports.render_pdf(loaded.dashboard), content_type="application/pdf")
    filename = export_filename(loaded.dashboard, "pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
