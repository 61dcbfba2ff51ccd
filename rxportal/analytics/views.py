"""The drug-trend dashboard: the clients' tool page for `drug-trend`, open with a live grant.

Routed ahead of `clients:tool` for this one tool, so the clients app does not import analytics.
Figures come only from `get_drug_trend` (the rollups), never from the claims table.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from rxportal.analytics.domain import PeriodKind
from rxportal.analytics.errors import DrugTrendNotFound
from rxportal.analytics.selectors import get_drug_trend
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.clients import selectors, services
from rxportal.clients.domain import Tool
from rxportal.clients.views.access import permission_page
from rxportal.core import clock
from rxportal.plans.models import Plan

ACTION_TOOL_OPENED = "clients.tool.opened"


@permission_page(services.PERM_PORTAL)
def drug_trend_dashboard(request: HttpRequest, client_public_id: uuid.UUID) -> HttpResponse:
    grant = selectors.find_live_grant(
        viewer=request.user,
        client_public_id=client_public_id,
        tool=Tool.DRUG_TREND,
        now=clock.now(),
    )
    if grant is None:
        raise Http404
    plans = list(Plan.objects.filter(client_id=grant.client_id).order_by("name"))
    try:
        period = PeriodKind(request.GET.get("period") or PeriodKind.MONTH)
    except ValueError:
        period = PeriodKind.MONTH
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or "")
    except ValueError:
        day = clock.now().date()
    plan = next((p for p in plans if str(p.public_id) == request.GET.get("plan")), None)
    try:
        trend = get_drug_trend(
            viewer=request.user,
            client_id=grant.client_id,
            plan_id=plan.pk if plan else None,
            period=period,
            day=day,
        )
    except DrugTrendNotFound as error:
        raise Http404 from error
    record_event(
        action=ACTION_TOOL_OPENED,
        outcome=Outcome.SUCCESS,
        actor=request.user,
        request=request,
        subject=grant,
        details={"tool": Tool.DRUG_TREND.value, "phi_level": False},
    )
    report = trend.report
    headline = [
        (_("Total cost per member per month"), report.pmpm_total, "money"),
        (_("Plan cost per member per month"), report.pmpm_plan, "money"),
        (_("Member cost per member per month"), report.pmpm_member, "money"),
        (_("Members"), report.members, "number"),
        (_("Members with a claim"), report.utilizers, "number"),
        (_("Claims per 1,000 members a year"), report.claims_per_1000, "number"),
        (_("30-day scripts per 1,000 members a year"), report.scripts_30_per_1000, "number"),
        (_("Generic dispensing rate"), report.generic_dispensing_rate, "percent"),
        (_("Specialty share of cost"), report.specialty_share, "percent"),
        (_("Mail-order share of claims"), report.mail_share, "percent"),
        (_("Members' share of cost"), report.member_cost_share, "percent"),
        (_("Members who reached the deductible"), report.reached_deductible, "number"),
        (_("Members who reached the out-of-pocket maximum"), report.reached_oop_max, "number"),
    ]
    return render(
        request,
        "analytics/drug_trend.html",
        {
            "grant": grant,
            "plans": plans,
            "plan": plan,
            "period": period.value,
            "day": day,
            "report": report,
            "headline": headline,
            "drugs": trend.drugs,
        },
    )
