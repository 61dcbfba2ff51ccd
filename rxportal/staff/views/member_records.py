"""A verified member caller's orders and claims: each read goes through
``staff.service_center`` (caller check bound to the member, reason code, one audit event)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from rxportal.core import clock
from rxportal.core.errors import DomainError
from rxportal.core.views import forbidden
from rxportal.staff import service_center
from rxportal.staff.service_center import ReasonCode
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
    if isinstance(error, service_center.CallerNotVerified):
        return verify_again(request, "staff:member_find")
    if isinstance(error, service_center.RecordsForbidden):
        return forbidden(request, error.message)
    messages.error(request, error.message)
    return HttpResponseRedirect(reverse("staff:member_records", args=[public_id]))


@staff_page(service_center.can_read_member_records)
def member_orders(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    reason = _reason(request)
    try:
        result = service_center.list_member_orders(
            actor=request.user,
            member_public_id=public_id,
            caller=caller_check(request, public_id),
            reason_code=reason,
            now=clock.now(),
            request=request,
        )
    except DomainError as error:
        return _records_refused(request, error, public_id)
    if result is None:
        raise Http404
    return render(
        request,
        "staff/service_center/member_orders.html",
        {"result": result, "reason": reason, "reason_label": ReasonCode(reason).label},
    )


@staff_page(service_center.can_read_member_records)
def member_order(request: HttpRequest, public_id: uuid.UUID, order_id: uuid.UUID) -> HttpResponse:
    reason = _reason(request)
    try:
        order = service_center.get_member_order(
            actor=request.user,
            member_public_id=public_id,
            order_public_id=order_id,
            caller=caller_check(request, public_id),
            reason_code=reason,
            now=clock.now(),
            request=request,
        )
    except DomainError as error:
        return _records_refused(request, error, public_id)
    if order is None:
        raise Http404
    return render(
        request,
        "staff/service_center/member_order.html",
        {"order": order, "member": order.member, "reason": reason},
    )


@staff_page(service_center.can_read_member_records)
def member_claims(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    reason = _reason(request)
    try:
        result = service_center.list_member_claims(
            actor=request.user,
            member_public_id=public_id,
            caller=caller_check(request, public_id),
            reason_code=reason,
            now=clock.now(),
            request=request,
        )
    except DomainError as error:
        return _records_refused(request, error, public_id)
    if result is None:
        raise Http404
    return render(
        request,
        "staff/service_center/member_claims.html",
        {"result": result, "reason": reason, "reason_label": ReasonCode(reason).label},
    )


@staff_page(service_center.can_read_member_records)
def member_claim(request: HttpRequest, public_id: uuid.UUID, claim_id: uuid.UUID) -> HttpResponse:
    reason = _reason(request)
    try:
        claim = service_center.get_member_claim(
            actor=request.user,
            member_public_id=public_id,
            claim_public_id=claim_id,
            caller=caller_check(request, public_id),
            reason_code=reason,
            now=clock.now(),
            request=request,
        )
    except DomainError as error:
        return _records_refused(request, error, public_id)
    if claim is None:
        raise Http404
    return render(
        request,
        "staff/service_center/member_claim.html",
        {"claim": claim, "member": claim.member, "reason": reason},
    )
