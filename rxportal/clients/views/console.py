"""The account team's section of the staff console (/staff/clients/): people waiting for
verification with the organization they claimed, linking them to clients with the
verification record, the access-request aging queue and decisions, grants to revoke, and the
clients with their designated contacts. Each page needs a ``clients`` permission."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from rxportal.clients import selectors, services
from rxportal.clients.errors import ClientAccessError
from rxportal.clients.forms import (
    ClientsForm,
    DecisionForm,
    LinkEndForm,
    LinkForm,
    RevokeForm,
    VerifyForm,
)
from rxportal.clients.models import Client
from rxportal.clients.views.access import permission_page
from rxportal.core import clock

LINK_ERRORS = {"clients.link.method_required": "method", "clients.link.already": "client"}
DECISION_ERRORS = {
    "clients.access.decision_reason_required": "reason",
    "clients.access.verification_required": "method",
}


@permission_page(services.PERM_DECIDE)
def queue(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    return render(
        request,
        "staff/clients/queue.html",
        {
            "pending": selectors.list_pending_verifications(viewer=request.user),
            "queue": selectors.list_access_queue(viewer=request.user, today=now.date()),
            "grants": selectors.list_live_grants(viewer=request.user, now=now),
            "users": selectors.list_business_users(viewer=request.user),
        },
    )


@permission_page(services.PERM_LINK)
def user_links(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    card = selectors.find_business_user(viewer=request.user, public_id=public_id)
    if card is None:
        raise Http404
    clients = list(selectors.list_clients_for_linking(viewer=request.user))
    form = LinkForm(request.POST if request.method == "POST" else None, clients=clients)
    if request.method == "POST" and form.is_valid():
        client = _pick(clients, form.cleaned_data["client"])
        try:
            services.link_user_to_client(
                user=card.user,
                client=client,
                actor=request.user,
                method=form.cleaned_data["method"],
                notes=form.cleaned_data["notes"],
                now=clock.now(),
                request=request,
            )
        except ClientAccessError as error:
            form.add_domain_error(error, fields=LINK_ERRORS)
        else:
            messages.success(
                request,
                _("Linked to %(client)s. The link is recorded with your name.")
                % {"client": client.name},
            )
            return HttpResponseRedirect(reverse("staff:clients_user", args=[public_id]))
    return render(request, "staff/clients/user_links.html", {"card": card, "form": form})


@permission_page(services.PERM_DECIDE)
def request_decide(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    row = selectors.find_request_for_team(viewer=request.user, public_id=public_id, now=clock.now())
    if row is None:
        raise Http404
    verify_form = VerifyForm(prefix="verify")
    decision_form = DecisionForm(prefix="decide")
    action = request.POST.get("action", "")
    if request.method == "POST":
        form: ClientsForm
        if action == "verify":
            form = verify_form = VerifyForm(request.POST, prefix="verify")
        else:
            form = decision_form = DecisionForm(request.POST, prefix="decide")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "verify":
                    services.start_verification(
                        access_request=row.request,
                        actor=request.user,
                        method=data["method"],
                        notes=data["notes"],
                        request=request,
                    )
                    message = _("Verification recorded. The request is now being verified.")
                else:
                    approve = data["decision"] == "approve"
                    services.decide_access_request(
                        access_request=row.request,
                        actor=request.user,
                        approve=approve,
                        reason=data["reason"],
                        method=data["method"],
                        now=clock.now(),
                        request=request,
                    )
                    message = (
                        _("Approved. The requester can use the tool for one year.")
                        if approve
                        else _("Denied. We emailed the requester the reason.")
                    )
            except ClientAccessError as error:
                form.add_domain_error(error, fields=DECISION_ERRORS)
            else:
                messages.success(request, message)
                return HttpResponseRedirect(reverse("staff:clients_request", args=[public_id]))
    return render(
        request,
        "staff/clients/request_decide.html",
        {"row": row, "verify_form": verify_form, "decision_form": decision_form},
    )


@permission_page(services.PERM_DECIDE)
def grant_revoke(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    grant = selectors.find_grant_for_team(viewer=request.user, public_id=public_id)
    if grant is None:
        raise Http404
    form = RevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_grant(
                grant=grant,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                now=clock.now(),
                request=request,
            )
        except ClientAccessError as error:
            form.add_domain_error(error, fields={"clients.grant.reason_required": "reason"})
        else:
            messages.success(request, _("Access revoked. We emailed the holder."))
            return HttpResponseRedirect(reverse("staff:clients_queue"))
    return render(request, "staff/clients/grant_revoke.html", {"grant": grant, "form": form})


@permission_page(services.PERM_LINK)
def link_end(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    link = selectors.find_live_link_for_team(viewer=request.user, public_id=public_id)
    if link is None:
        raise Http404
    form = LinkEndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_client_link(
                link=link,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                now=clock.now(),
                request=request,
            )
        except ClientAccessError as error:
            form.add_domain_error(error, fields={"clients.link.reason_required": "reason"})
        else:
            messages.success(
                request,
                _("The link to %(client)s has ended, and with it any access for that client.")
                % {"client": link.client.name},
            )
            return HttpResponseRedirect(reverse("staff:clients_user", args=[link.user.public_id]))
    return render(request, "staff/clients/link_end.html", {"link": link, "form": form})


@permission_page(services.PERM_DIRECTORY)
def directory(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/clients/directory.html",
        {"clients": selectors.list_clients_with_contacts(viewer=request.user)},
    )


def _pick(clients: list[Client], public_id: str) -> Client:
    found = next((c for c in clients if str(c.public_id) == public_id), None)
    if found is None:  # the form's choices are these clients
        raise Http404
    return found
