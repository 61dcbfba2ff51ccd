"""The account team finds an account and changes its username or email address, or unlocks it."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from rxportal.core.errors import DomainError
from rxportal.core.views import forbidden
from rxportal.staff import access
from rxportal.staff.errors import StaffForbidden
from rxportal.staff.forms.account_changes import (
    EmailChangeForm,
    UsernameChangeForm,
    UserSearchForm,
)
from rxportal.staff.forms.common import ReasonForm, StaffForm
from rxportal.staff.selectors import find_account_card
from rxportal.staff.services import emails, lookups, unlock, usernames
from rxportal.staff.views.common import (
    REASON_ERRORS,
    staff_page,
    unlock_message,
)

USERNAME_ERRORS = {**REASON_ERRORS, "staff.username.": "new_username"}
EMAIL_ERRORS = {
    **REASON_ERRORS,
    "staff.email.invalid": "new_email",
    "staff.email.unchanged": "new_email",
    "staff.email.taken": "new_email",
}


@staff_page(access.can_change_identity)
def user_search(request: HttpRequest) -> HttpResponse:
    """POST, not ``?q=``: an email address is an identifier that must stay out of URLs and logs."""
    form = UserSearchForm(request.POST if request.method == "POST" else None)
    users = None
    if form.is_valid():
        users = lookups.search_users(
            actor=request.user, query=form.cleaned_data["q"], request=request
        )
    return render(request, "staff/user_search.html", {"form": form, "users": users})


@staff_page(access.can_change_identity)
def user_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    forms: dict[str, StaffForm] = {
        "username": UsernameChangeForm(prefix="username"),
        "email": EmailChangeForm(prefix="email"),
        "unlock": ReasonForm(prefix="unlock"),
    }
    if request.method == "GET":
        card = lookups.open_account_card(actor=request.user, public_id=public_id, request=request)
        if card is None:
            raise Http404
        return _render_account(request, card, forms)

    card = find_account_card(viewer=request.user, public_id=public_id)
    if card is None:
        raise Http404
    action = request.POST.get("action", "")
    if action not in forms:
        messages.error(request, _("Choose one of the actions on this page."))
        lookups.record_account_card_viewed(actor=request.user, card=card, request=request)
        return _render_account(request, card, forms, status=400)
    form = type(forms[action])(request.POST, prefix=action)
    forms[action] = form
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "username":
                usernames.change_username(
                    user=card.user,
                    new_username=data["new_username"],
                    actor=request.user,
                    reason=data["reason"],
                    request=request,
                )
                message = _("Username changed. We sent a notice to the account's email address.")
            elif action == "email":
                emails.change_email(
                    user=card.user,
                    new_email=data["new_email"],
                    actor=request.user,
                    reason=data["reason"],
                    request=request,
                )
                message = _(
                    "Email address changed. We sent a notice to the old and the new address."
                )
            else:
                unlocked = unlock.unlock_account(
                    user=card.user, actor=request.user, reason=data["reason"], request=request
                )
                message = unlock_message(unlocked.was_locked)
        except StaffForbidden as error:
            return forbidden(request, error.message)
        except DomainError as error:
            fields = {"username": USERNAME_ERRORS, "email": EMAIL_ERRORS}.get(action, REASON_ERRORS)
            if not form.add_domain_error(error, fields=fields):
                messages.error(request, error.message)
        else:
            messages.success(request, message)
            return HttpResponseRedirect(reverse("staff:user_detail", args=[public_id]))
    lookups.record_account_card_viewed(actor=request.user, card=card, request=request)
    return _render_account(request, card, forms)


def _render_account(
    request: HttpRequest, card: Any, forms: dict[str, StaffForm], *, status: int = 200
) -> HttpResponse:
    actor = request.user
    may_act = access.may_act_on(actor, card.user)
    return render(
        request,
        "staff/user_detail.html",
        {
            "card": card,
            "username_form": forms["username"],
            "email_form": forms["email"],
            "unlock_form": forms["unlock"],
            "may_change": may_act and access.can_change_identity(actor),
            "can_unlock": may_act and access.can_unlock(actor),
        },
        status=status,
    )
