"""A member who calls: verify them (member id + date of birth + ZIP, or name + date of birth
+ ZIP), then send a username reminder, unlock, reset challenge questions, or open the page
from which their orders and claims are read (``member_records``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rxportal.core import clock
from rxportal.core.errors import DomainError
from rxportal.core.views import forbidden
from rxportal.staff import access
from rxportal.staff.errors import StaffForbidden
from rxportal.staff.forms.common import ReasonForm, StaffForm
from rxportal.staff.forms.member_callers import (
    MemberLookupForm,
    MemberNameLookupForm,
    RecordsReasonForm,
)
from rxportal.staff.selectors import find_member_card
from rxportal.staff.services import (
    challenges,
    lookups,
    service_center,
    unlock,
    usernames,
    verification,
)
from rxportal.staff.views.common import (
    REASON_ERRORS,
    caller_check,
    staff_page,
    unlock_message,
    verify_again,
)


@staff_page(access.can_look_up_members)
def member_lookup(request: HttpRequest) -> HttpResponse:
    form = MemberLookupForm(request.POST if request.method == "POST" else None)
    matches = []
    if form.is_valid():
        matches = lookups.look_up_members(
            actor=request.user,
            member_id=form.cleaned_data["member_id"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            zip_code=form.cleaned_data["zip_code"],
            request=request,
        )
        if not matches:
            form.add_error(None, _("No member matches those details."))
            form.describe_fields()
        else:
            verification.remember_verified(
                request, [str(m.public_id) for m in matches], now=clock.now()
            )
            if len(matches) == 1:
                return HttpResponseRedirect(
                    reverse("staff:member_detail", args=[matches[0].public_id])
                )
    return render(request, "staff/member_lookup.html", {"form": form, "matches": matches})


@staff_page(access.can_look_up_members)
def member_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    if not verification.is_verified(request, str(public_id), now=clock.now()):
        return verify_again(request, "staff:member_lookup")
    reminder_form = ReasonForm(prefix="reminder")
    unlock_form = ReasonForm(prefix="unlock")
    if request.method == "GET":
        card = lookups.open_member_card(actor=request.user, public_id=public_id, request=request)
        if card is None:
            raise Http404
        return _render_member(request, card, reminder_form, unlock_form)

    card = find_member_card(viewer=request.user, public_id=public_id)
    if card is None:
        raise Http404
    action = request.POST.get("action", "")
    if action == "reminder":
        reminder_form = ReasonForm(request.POST, prefix="reminder")
        form: StaffForm = reminder_form
    elif action == "unlock":
        unlock_form = ReasonForm(request.POST, prefix="unlock")
        form = unlock_form
    else:
        messages.error(request, _("Choose one of the actions on this page."))
        lookups.record_member_card_viewed(actor=request.user, card=card, request=request)
        return _render_member(request, card, reminder_form, unlock_form, status=400)
    if form.is_valid():
        try:
            if action == "reminder":
                sent = usernames.send_username_reminder(
                    member=card.member,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
                messages.success(
                    request,
                    _(
                        "We emailed the username to the address on file (%(email)s). "
                        "Ask the caller to check that inbox."
                    )
                    % {"email": sent.masked_email},
                )
            else:
                unlocked = unlock.unlock_account(
                    user=card.member.user,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                    subject=card.member,
                )
                messages.success(request, unlock_message(unlocked.was_locked))
        except StaffForbidden as error:
            return forbidden(request, error.message)
        except DomainError as error:
            if not form.add_domain_error(error, fields=REASON_ERRORS):
                messages.error(request, error.message)
        else:
            return HttpResponseRedirect(reverse("staff:member_detail", args=[public_id]))
    lookups.record_member_card_viewed(actor=request.user, card=card, request=request)
    return _render_member(request, card, reminder_form, unlock_form)


def _render_member(
    request: HttpRequest,
    card: Any,
    reminder_form: StaffForm,
    unlock_form: StaffForm,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "staff/member_detail.html",
        {
            "card": card,
            "reminder_form": reminder_form,
            "unlock_form": unlock_form,
            "can_send_reminder": access.can_send_username_reminder(request.user),
            "can_unlock": access.can_unlock(request.user),
        },
        status=status,
    )


@staff_page(access.can_look_up_members)
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


@staff_page(access.can_read_member_records)
def member_records(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """What the agent can do for a verified caller: open orders or claims, reset questions."""
    if not verification.is_caller_verified(
        caller_check(request, public_id), public_id, now=clock.now()
    ):
        return verify_again(request, "staff:member_find")
    card = lookups.open_member_card(actor=request.user, public_id=public_id, request=request)
    if card is None:
        raise Http404
    return _render_records(request, card, ReasonForm(prefix="reset"))


@staff_page(access.can_read_member_records)
@require_POST
def member_challenges_reset(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    if not verification.is_caller_verified(
        caller_check(request, public_id), public_id, now=clock.now()
    ):
        return verify_again(request, "staff:member_find")
    card = find_member_card(viewer=request.user, public_id=public_id)
    if card is None:
        raise Http404
    form = ReasonForm(request.POST, prefix="reset")
    if form.is_valid():
        try:
            challenges.reset_challenge_answers(
                user=card.member.user,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
                subject=card.member,
            )
        except StaffForbidden as error:
            return forbidden(request, error.message)
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
    return _render_records(request, card, form, status=400)


def _render_records(
    request: HttpRequest, card: Any, reset_form: StaffForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "staff/service_center/member_records.html",
        {
            "card": card,
            "orders_form": RecordsReasonForm(auto_id="orders_%s"),
            "claims_form": RecordsReasonForm(auto_id="claims_%s"),
            "reset_form": reset_form,
            "can_reset": access.can_reset_challenges(request.user),
        },
        status=status,
    )
