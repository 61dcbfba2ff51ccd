"""A client or advisor who calls: find their one account from what they state, then send a
username reminder, unlock it or reset its challenge questions."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from rxportal.core import clock
from rxportal.core.errors import DomainError
from rxportal.core.views import forbidden
from rxportal.staff import access
from rxportal.staff.errors import StaffForbidden
from rxportal.staff.forms.client_callers import ClientUserLookupForm
from rxportal.staff.forms.common import ReasonForm
from rxportal.staff.services import challenges, service_center, unlock, usernames, verification
from rxportal.staff.views.common import (
    REASON_ERRORS,
    caller_check,
    staff_page,
    unlock_message,
    verify_again,
)


@staff_page(access.can_help_client_users)
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


@staff_page(access.can_help_client_users)
def client_user_help(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    now = clock.now()
    if not verification.is_caller_verified(caller_check(request, public_id), public_id, now=now):
        return verify_again(request, "staff:client_user_find")
    forms = {action: ReasonForm(prefix=action) for action in ("reminder", "unlock", "challenges")}
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
                sent = usernames.send_client_username_reminder(
                    user=card.user,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
                message = _(
                    "We emailed the username to the address on file (%(email)s). "
                    "Ask the caller to check that inbox."
                ) % {"email": sent.masked_email}
            elif action == "challenges":
                challenges.reset_challenge_answers(
                    user=card.user,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
                message = _(
                    "The challenge questions are removed. We emailed the caller to choose new "
                    "ones in My Account."
                )
            else:
                unlocked = unlock.unlock_account(
                    user=card.user,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
                message = unlock_message(unlocked.was_locked)
        except StaffForbidden as error:
            return forbidden(request, error.message)
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
            "challenges_form": forms["challenges"],
            "can_unlock": access.can_unlock(request.user),
            "can_reset": access.can_reset_challenges(request.user),
        },
        status=status,
    )
