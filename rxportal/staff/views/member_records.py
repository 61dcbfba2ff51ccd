"""A verified member caller's orders and claims: each read goes through
``staff.services.service_center`` (caller check bound to the member, reason code, one audit
event)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from rxportal.core import clock
from rxportal.core.errors import DomainError
from rxportal.core.views import forbidden
from rxportal.staff import access
from rxportal.staff.errors import CallerNotVerified, RecordsForbidden
from rxportal.staff.services import service_center
from rxportal.staff.services.service_center import ReasonCode
from rxportal.staff.views.common import (
    caller_check,
    staff_page,
    verify_again,
)


def _reason(request: HttpRequest) -> str:
    return request.GET.get("reason", "")[:40]


def _records_refused(
    request: HttpRequest, error: DomainError, public_id: uuid.UUID
) -> HttpResponse:
    if isinstance(error, CallerNotVerified):
        return verify_again(request, "staff:member_find")
    if isinstance(error, RecordsForbidden):
        return forbidden(request, error.message)
    messages.error(request, error.message)
    return HttpResponseRedirect(reverse("staff:member_records", args=[public_id]))


def _records_page(
    request: HttpRequest,
    public_id: uuid.UUID,
    *,
    read: Callable[..., Any],
    template: str,
    context: Callable[[Any, str], dict[str, Any]],
    **ids: uuid.UUID,
) -> HttpResponse:
    """The four pages below: one ``service_center`` read (gate, reason code, audit), a refusal
    sent back to the caller check or the records page, an unknown record a 404."""
    reason = _reason(request)
    try:
        found = read(
            actor=request.user,
            member_public_id=public_id,
            caller=caller_check(request, public_id),
            reason_code=reason,
            now=clock.now(),
            request=request,
            **ids,
        )
    except DomainError as error:
        return _records_refused(request, error, public_id)
    if found is None:
        raise Http404
    return render(request, template, {**context(found, reason), "reason": reason})


def _listed(result: Any, reason: str) -> dict[str, Any]:
    return {"result": result, "reason_label": ReasonCode(reason).label}


@staff_page(access.can_read_member_records)
def member_orders(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _records_page(
        request,
        public_id,
        read=service_center.list_member_orders,
        template="staff/service_center/member_orders.html",
        context=_listed,
    )


@staff_page(access.can_read_member_records)
def member_order(request: HttpRequest, public_id: uuid.UUID, order_id: uuid.UUID) -> HttpResponse:
    return _records_page(
        request,
        public_id,
        read=service_center.get_member_order,
        template="staff/service_center/member_order.html",
        context=lambda order, _reason: {"order": order, "member": order.member},
        order_public_id=order_id,
    )


@staff_page(access.can_read_member_records)
def member_claims(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _records_page(
        request,
        public_id,
        read=service_center.list_member_claims,
        template="staff/service_center/member_claims.html",
        context=_listed,
    )


@staff_page(access.can_read_member_records)
def member_claim(request: HttpRequest, public_id: uuid.UUID, claim_id: uuid.UUID) -> HttpResponse:
    return _records_page(
        request,
        public_id,
        read=service_center.get_member_claim,
        template="staff/service_center/member_claim.html",
        context=lambda claim, _reason: {"claim": claim, "member": claim.member},
        claim_public_id=claim_id,
    )
