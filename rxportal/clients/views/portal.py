"""Client users' and advisors' pages: home, access requests, and the tools their grants open.

Each page reads through a ``viewer=`` selector, so a client or request that is not the
viewer's is a 404, never a 403.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.clients import selectors, services
from rxportal.clients.domain import is_phi_tool
from rxportal.clients.errors import ClientAccessError
from rxportal.clients.forms import AccessRequestForm, LinkRequestForm
from rxportal.clients.views.access import permission_page
from rxportal.core import clock

ACTION_TOOL_OPENED = "clients.tool.opened"
REQUEST_ERRORS = {
    "clients.access.reason_required": "business_reason",
    "clients.access.unknown_tool": "tool",
    "clients.access.not_linked": "client",
}


@permission_page(services.PERM_PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    client_home = selectors.get_client_home(viewer=request.user, now=clock.now())
    return render(request, "clients/home.html", {"home": client_home})


@permission_page(services.PERM_PORTAL)
def request_new(request: HttpRequest) -> HttpResponse:
    clients = selectors.list_linked_clients(viewer=request.user)
    form = AccessRequestForm(request.POST if request.method == "POST" else None, clients=clients)
    if request.method == "POST" and form.is_valid():
        client = selectors.find_linked_client(
            viewer=request.user, public_id=uuid.UUID(form.cleaned_data["client"])
        )
        if client is None:
            raise Http404
        try:
            created = services.submit_access_request(
                requester=request.user,  # type: ignore[arg-type]
                client=client,
                tool=form.cleaned_data["tool"],
                business_reason=form.cleaned_data["business_reason"],
                now=clock.now(),
                request=request,
            )
        except ClientAccessError as error:
            form.add_domain_error(error, fields=REQUEST_ERRORS)
        else:
            messages.success(
                request,
                _("Request sent. The account team will decide by %(date)s.")
                % {"date": _format_date(created.due_on)},
            )
            return HttpResponseRedirect(reverse("clients:request_detail", args=[created.public_id]))
    return render(request, "clients/request_form.html", {"form": form, "clients": clients})


@permission_page(services.PERM_PORTAL)
def link_request_new(request: HttpRequest) -> HttpResponse:
    """Ask the account team to verify a link to an organization (before any tool request)."""
    form = LinkRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ask_for_link(
                requester=request.user,  # type: ignore[arg-type]
                organization=form.cleaned_data["organization"],
                reason=form.cleaned_data["reason"],
                now=clock.now(),
                request=request,
            )
        except ClientAccessError as error:
            form.add_domain_error(
                error,
                fields={
                    "clients.link.organization_required": "organization",
                    "clients.link.already_asked": "organization",
                    "clients.link.reason_required": "reason",
                },
            )
        else:
            messages.success(
                request,
                _("Sent. The account team will verify you with the organization and link you."),
            )
            return HttpResponseRedirect(reverse("clients:home"))
    return render(request, "clients/link_request_form.html", {"form": form})


@permission_page(services.PERM_PORTAL)
def request_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    row = selectors.find_own_request(viewer=request.user, public_id=public_id, now=clock.now())
    if row is None:
        raise Http404
    return render(request, "clients/request_detail.html", {"row": row})


@permission_page(services.PERM_PORTAL)
def tool(request: HttpRequest, client_public_id: uuid.UUID, tool: str) -> HttpResponse:
    """Placeholder for each secure tool: open only while the viewer's grant is in force."""
    grant = selectors.find_live_grant(
        viewer=request.user, client_public_id=client_public_id, tool=tool, now=clock.now()
    )
    if grant is None:
        raise Http404
    record_event(
        action=ACTION_TOOL_OPENED,
        outcome=Outcome.SUCCESS,
        actor=request.user,
        request=request,
        subject=grant,
        details={"tool": tool, "phi_level": is_phi_tool(tool)},
    )
    return render(request, "clients/tool.html", {"grant": grant})


def _format_date(value: dt.date) -> str:
    return date_format(value, "DATE_FORMAT")
