"""Service-center console pages beyond ``views.py``: find a member by name, date of birth and
ZIP; a verified caller's orders and claims (with a reason code); reset challenge questions; and
find and help a client or advisor who calls. Thin edges over ``staff.service_center`` and the
accounts staff services; the role check is ``views.staff_page``.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rxportal.accounts.services import staff as account_staff
from rxportal.accounts.services import staff_help
from rxportal.core import clock
from rxportal.core.errors import DomainError
from rxportal.staff import service_center, services, verification
from rxportal.staff.forms import ReasonForm
from rxportal.staff.selectors import find_member_card
from rxportal.staff.service_center import CallerCheck, ReasonCode
from rxportal.staff.service_center_forms import (
    ClientUserLookupForm,
    MemberNameLookupForm,
    RecordsReasonForm,
)
from rxportal.staff.views import REASON_ERRORS, staff_page

can_read = service_center.can_read_member_records


def _caller(request: HttpRequest, public_id: uuid.UUID) -> CallerCheck | None:
    at = verification.verified_at(request, str(public_id))
    return CallerCheck(public_id=str(public_id), verified_at=at) if at is not None else None


def _verify_again(request: HttpRequest) -> HttpResponse:
    messages.warning(request, _("Verify the caller first: look them up again."))
    return HttpResponseRedirect(reverse("staff:member_find"))


# --- Find a member by name, date of birth and ZIP --------------------------------------------


@staff_page(account_staff.can_look_up_members)
def member_find(request: HttpRequest) -> HttpResponse:
    form = MemberNameLookupForm(request.POST if request.method == "POST" else None)
    matches = []
    if form.is_valid():
        data = form.cleaned_data
        matches = service_center.look_up_members_by_name(
            actor=request.user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            zip_code=data["zip_code"],
            request=request,
        )
        if len(matches) == 1:
            verification.remember_verified(request, [str(matches[0].public_id)], now=clock.now())
            return HttpResponseRedirect(
                reverse("staff:member_records", args=[matches[0].public_id])
            )
        # None, or several people sharing all four details: the member id tells them apart.
        form.add_error(
            None,
            _("No single member matches those details.")
            if not matches
            else _("Ask for the member ID and verify the caller with it."),
        )
        form.describe_fields()
    return render(request, "staff/service_center/member_find.html", {"form": form})


# --- A verified caller's records -------------------------------------------------------------


@staff_page(can_read)
def member_records(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """What the agent can do for a verified caller: open orders or claims, reset questions."""
    if not service_center.is_caller_verified(
        _caller(request, public_id), public_id, now=clock.now()
    ):
        return _verify_again(request)
    card = services.open_member_card(actor=request.user, public_id=public_id, request=request)
    if card is None:
        raise Http404
    return render(
        request,
        "staff/service_center/member_records.html",
        {
            "card": card,
            "orders_form": RecordsReasonForm(auto_id="orders_%s"),
            "claims_form": RecordsReasonForm(auto_id="claims_%s"),
            "reset_form": ReasonForm(prefix="reset"),
            "can_reset": staff_help.can_reset_challenges(request.user),
        },
    )


def _reason(request: HttpRequest) -> str:
    return request.GET.get("reason", "")[:40]


def _records_refused(
    request: HttpRequest, error: DomainError, public_id: uuid.UUID
) -> HttpResponse:
    if isinstance(error, service_center.CallerNotVerified):
        return _verify_again(request)
    if isinstance(error, service_center.RecordsForbidden):
        return render(request, "staff/forbidden.html", {"message": error.message}, status=403)
    messages.error(request, error.message)
    return HttpResponseRedirect(reverse("staff:member_records", args=[public_id]))


@staff_page(can_read)
def member_orders(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    reason = _reason(request)
    try:
        result = service_center.list_member_orders(
            actor=request.user,
            member_public_id=public_id,
            caller=_caller(request, public_id),
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


@staff_page(can_read)
def member_order(request: HttpRequest, public_id: uuid.UUID, order_id: uuid.UUID) -> HttpResponse:
    reason = _reason(request)
    try:
        order = service_center.get_member_order(
            actor=request.user,
            member_public_id=public_id,
            order_public_id=order_id,
            caller=_caller(request, public_id),
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


@staff_page(can_read)
def member_claims(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    reason = _reason(request)
    try:
        result = service_center.list_member_claims(
            actor=request.user,
            member_public_id=public_id,
            caller=_caller(request, public_id),
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


@staff_page(can_read)
def member_claim(request: HttpRequest, public_id: uuid.UUID, claim_id: uuid.UUID) -> HttpResponse:
    reason = _reason(request)
    try:
        claim = service_center.get_member_claim(
            actor=request.user,
            member_public_id=public_id,
            claim_public_id=claim_id,
            caller=_caller(request, public_id),
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


@staff_page(can_read)
@require_POST
def member_challenges_reset(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    if not service_center.is_caller_verified(
        _caller(request, public_id), public_id, now=clock.now()
    ):
        return _verify_again(request)
    card = find_member_card(viewer=request.user, public_id=public_id)
    if card is None:
        raise Http404
    form = ReasonForm(request.POST, prefix="reset")
    if form.is_valid():
        try:
            staff_help.reset_challenge_answers(
                user=card.member.user,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
                subject=card.member,
            )
        except account_staff.StaffForbidden as error:
            return render(request, "staff/forbidden.html", {"message": error.message}, status=403)
        except DomainError as error:
            if not form.add_domain_error(error, fields=REASON_ERRORS):
                messages.error(request, error.message)
        else:
            messages.success(
                request,
                _(
                    "The challenge questions are removed. We emailed the member to choose new "
                    "ones in My Account."
                ),
            )
            return HttpResponseRedirect(reverse("staff:member_records", args=[public_id]))
    return render(
        request,
        "staff/service_center/member_records.html",
        {
            "card": card,
            "orders_form": RecordsReasonForm(auto_id="orders_%s"),
            "claims_form": RecordsReasonForm(auto_id="claims_%s"),
            "reset_form": form,
            "can_reset": staff_help.can_reset_challenges(request.user),
        },
        status=400,
    )


# --- A client or advisor who calls -----------------------------------------------------------


@staff_page(staff_help.can_help_client_users)
def client_user_find(request: HttpRequest) -> HttpResponse:
    """POST: what the caller states (email, names) stays out of URLs and logs."""
    form = ClientUserLookupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        user = service_center.look_up_client_user(
            actor=request.user,
            email=data["email"],
            organization=data["organization"],
            username=data["username"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            request=request,
        )
        if user is not None:
            verification.remember_verified(request, [str(user.public_id)], now=clock.now())
            return HttpResponseRedirect(reverse("staff:client_user_help", args=[user.public_id]))
        form.add_error(None, _("No single account matches those details."))
        form.describe_fields()
    return render(request, "staff/service_center/client_user_find.html", {"form": form})


@staff_page(staff_help.can_help_client_users)
def client_user_help(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    now = clock.now()
    if not service_center.is_caller_verified(_caller(request, public_id), public_id, now=now):
        messages.warning(request, _("Verify the caller first: look them up again."))
        return HttpResponseRedirect(reverse("staff:client_user_find"))
    forms = {"reminder": ReasonForm(prefix="reminder"), "unlock": ReasonForm(prefix="unlock")}
    if request.method == "GET":
        card = service_center.open_client_user_card(
            actor=request.user, public_id=public_id, request=request, now=now
        )
        if card is None:
            raise Http404
        return _render_client_user(request, card, forms)
    card = service_center.find_client_user_card(actor=request.user, public_id=public_id, now=now)
    if card is None:
        raise Http404
    action = request.POST.get("action", "")
    if action not in forms:
        messages.error(request, _("Choose one of the actions on this page."))
        return _render_client_user(request, card, forms, status=400)
    form = ReasonForm(request.POST, prefix=action)
    forms[action] = form
    if form.is_valid():
        try:
            if action == "reminder":
                sent = staff_help.send_client_username_reminder(
                    user=card.user,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
                message = _(
                    "We emailed the username to the address on file (%(email)s). "
                    "Ask the caller to check that inbox."
                ) % {"email": sent.masked_email}
            else:
                unlocked = account_staff.unlock_account(
                    user=card.user,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
                message = (
                    _("Sign-in is unlocked and the failed tries are cleared. They can sign in now.")
                    if unlocked.was_locked
                    else _(
                        "There was no lock or failed try on this account; nothing needed clearing."
                    )
                )
        except account_staff.StaffForbidden as error:
            return render(request, "staff/forbidden.html", {"message": error.message}, status=403)
        except DomainError as error:
            if not form.add_domain_error(error, fields=REASON_ERRORS):
                messages.error(request, error.message)
        else:
            messages.success(request, message)
            return HttpResponseRedirect(reverse("staff:client_user_help", args=[public_id]))
    return _render_client_user(request, card, forms)


def _render_client_user(
    request: HttpRequest,
    card: service_center.ClientUserCard,
    forms: dict[str, ReasonForm],
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "staff/service_center/client_user_help.html",
        {
            "card": card,
            "reminder_form": forms["reminder"],
            "unlock_form": forms["unlock"],
            "can_unlock": account_staff.can_unlock(request.user),
        },
        status=status,
    )
