"""The plan sponsors' PHI tools: eligibility lookup and claims reports.

Routed ahead of ``clients:tool`` for these two tools (see rxportal/urls.py). Every request asks
for the viewer's live grant for the tool: none, expired, revoked, or another client's id is a
404, on every page, the download included.
"""

from __future__ import annotations

import uuid

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.clients import services as client_services
from rxportal.clients.domain import Tool
from rxportal.clients.models import ToolGrant
from rxportal.clients.views.access import permission_page
from rxportal.core import clock
from rxportal.sponsor_tools import domain, selectors, services
from rxportal.sponsor_tools.errors import ReportInProgress, ReportLinkExpired, SponsorToolError
from rxportal.sponsor_tools.forms import ClaimsReportForm, EligibilitySearchForm
from rxportal.sponsor_tools.models import ClaimsReport, ReportStatus

ACTION_TOOL_OPENED = "clients.tool.opened"
# Seconds between refreshes of the progress page (a meta refresh: no JavaScript needed).
PROGRESS_REFRESH_SECONDS = 2
REPORT_ERRORS = {
    "sponsor_tools.report.range_invalid": "end_date",
    "sponsor_tools.report.member_unknown": "member_id",
}


def _grant(request: HttpRequest, client_public_id: uuid.UUID, tool: Tool) -> ToolGrant:
    grant = selectors.find_tool_grant(
        viewer=request.user, client_public_id=client_public_id, tool=tool, now=clock.now()
    )
    if grant is None:
        raise Http404
    return grant


def _record_opened(request: HttpRequest, grant: ToolGrant) -> None:
    record_event(
        action=ACTION_TOOL_OPENED,
        outcome=Outcome.SUCCESS,
        actor=request.user,
        request=request,
        subject=grant,
        details={"tool": grant.tool, "phi_level": True},
    )


@permission_page(client_services.PERM_PORTAL)
def eligibility(request: HttpRequest, client_public_id: uuid.UUID) -> HttpResponse:
    grant = _grant(request, client_public_id, Tool.ELIGIBILITY)
    form = EligibilitySearchForm(request.POST if request.method == "POST" else None)
    records = None
    if request.method == "POST" and form.is_valid():
        records = selectors.list_eligibility(
            viewer=request.user,
            grant=grant,
            search=selectors.EligibilitySearch(
                member_card=form.cleaned_data["member_id"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            ),
            today=clock.today(),
            request=request,
        )
    elif request.method == "GET":
        _record_opened(request, grant)
    return render(
        request,
        "sponsor_tools/eligibility.html",
        {"grant": grant, "form": form, "records": records},
    )


@permission_page(client_services.PERM_PORTAL)
def claims_reports(request: HttpRequest, client_public_id: uuid.UUID) -> HttpResponse:
    grant = _grant(request, client_public_id, Tool.CLAIMS_REPORTS)
    form = ClaimsReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.request_claims_report(
                grant=grant,
                actor=request.user,  # type: ignore[arg-type]
                start=form.cleaned_data["start_date"],
                end=form.cleaned_data["end_date"],
                drug_query=form.cleaned_data["drug"],
                member_card=form.cleaned_data["member_id"],
                request=request,
            )
        except SponsorToolError as error:
            form.add_error(REPORT_ERRORS.get(error.code), error.message)
            form.describe_fields()
        else:
            return HttpResponseRedirect(_report_url(grant, report))
    elif request.method == "GET":
        _record_opened(request, grant)
    reports = selectors.list_own_reports(viewer=request.user, grant=grant)
    return render(
        request,
        "sponsor_tools/claims_reports.html",
        {"grant": grant, "form": form, "reports": reports, "now": clock.now()},
    )


def _own_report(
    request: HttpRequest, client_public_id: uuid.UUID, report_public_id: uuid.UUID
) -> tuple[ToolGrant, ClaimsReport]:
    grant = _grant(request, client_public_id, Tool.CLAIMS_REPORTS)
    report = selectors.find_own_report(viewer=request.user, grant=grant, public_id=report_public_id)
    if report is None:
        raise Http404
    return grant, report


def _report_url(grant: ToolGrant, report: ClaimsReport, name: str = "claims_report") -> str:
    return reverse(f"sponsor_tools:{name}", args=[grant.client.public_id, report.public_id])


@permission_page(client_services.PERM_PORTAL)
def claims_report(
    request: HttpRequest, client_public_id: uuid.UUID, report_public_id: uuid.UUID
) -> HttpResponse:
    """The report's progress (refreshing itself while it is built), then its download link."""
    grant, report = _own_report(request, client_public_id, report_public_id)
    now = clock.now()
    building = report.status in (ReportStatus.QUEUED, ReportStatus.BUILDING)
    return render(
        request,
        "sponsor_tools/claims_report.html",
        {
            "grant": grant,
            "report": report,
            "building": building,
            "refresh_seconds": PROGRESS_REFRESH_SECONDS,
            "percent": domain.compute_progress_percent(
                done=report.rows_done, total=report.rows_total
            ),
            "expired": report.status == ReportStatus.READY
            and domain.is_link_expired(expires_at=report.expires_at, now=now),
        },
    )


@permission_page(client_services.PERM_PORTAL)
def claims_report_download(
    request: HttpRequest, client_public_id: uuid.UUID, report_public_id: uuid.UUID
) -> HttpResponseBase:
    grant, report = _own_report(request, client_public_id, report_public_id)
    try:
        content = services.open_claims_report(
            report=report,
            grant=grant,
            actor=request.user,  # type: ignore[arg-type]
            now=clock.now(),
            request=request,
        )
    except ReportLinkExpired:
        return render(
            request,
            "sponsor_tools/claims_report_expired.html",
            {"grant": grant, "report": report},
            status=410,
        )
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    filename = f"claims-{report.start_date.isoformat()}-{report.end_date.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@permission_page(client_services.PERM_PORTAL)
@require_POST
def claims_report_again(
    request: HttpRequest, client_public_id: uuid.UUID, report_public_id: uuid.UUID
) -> HttpResponse:
    """Build an expired report again, with the same filters (kept server-side)."""
    grant, report = _own_report(request, client_public_id, report_public_id)
    try:
        again = services.request_claims_report_again(
            report=report,
            grant=grant,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except ReportInProgress as busy:  # one at a time: show the one being built
        again = busy.details["report"]
    return HttpResponseRedirect(_report_url(grant, again))
