"""The PBM staff console: thin edges over the staff services and selectors.

Every page needs a signed-in user whose role allows it; anyone else gets the 403 page (and an
audit entry). Pages are never cached, and every form posts with a CSRF token. Staff must also
use a second factor: ``MfaEnrolmentGateMiddleware`` (rxportal.accounts.middleware), installed
site-wide, keeps a staff session without one on the enrolment pages, so the pages here check
only sign-in and role.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rxportal.accounts.services import staff as account_staff
from rxportal.core import clock
from rxportal.core.errors import DomainError
from rxportal.staff import services, verification
from rxportal.staff.forms import (
    EmailChangeForm,
    MemberLookupForm,
    ReasonForm,
    StaffForm,
    UsernameChangeForm,
    UserSearchForm,
)
from rxportal.staff.selectors import find_account_card, find_member_card

Actor = AbstractBaseUser | AnonymousUser
View = Callable[..., HttpResponse]

# Where each service error code is shown: next to this field, else above the form.
REASON_ERRORS = {"staff.reason.": "reason"}
USERNAME_ERRORS = {**REASON_ERRORS, "staff.username.": "new_username"}
EMAIL_ERRORS = {
    **REASON_ERRORS,
    "staff.email.invalid": "new_email",
    "staff.email.unchanged": "new_email",
    "staff.email.taken": "new_email",
}


def is_console_user(actor: Actor) -> bool:
    return account_staff.can_use_console(actor)


def staff_page(allowed: Callable[[Actor], bool]) -> Callable[[View], View]:
    """Signed in (else to the sign-in page), role allowed (else 403, audited), never cached."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(request.user):
                match = request.resolver_match
                services.record_access_denied(
                    actor=request.user,
                    request=request,
                    view_name=match.view_name if match is not None else "",
                )
                return render(request, "staff/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return never_cache(login_required(require_http_methods(["GET", "POST"])(checked)))

    return decorator


@staff_page(is_console_user)
def home(request: HttpRequest) -> HttpResponse:
    actor = request.user
    return render(
        request,
        "staff/home.html",
        {
            "can_look_up_members": account_staff.can_look_up_members(actor),
            "can_manage_accounts": account_staff.can_change_identity(actor),
        },
    )


# --- Service center: verify a caller, then help them -----------------------------------------


@staff_page(account_staff.can_look_up_members)
def member_lookup(request: HttpRequest) -> HttpResponse:
    form = MemberLookupForm(request.POST if request.method == "POST" else None)
    matches = []
    if form.is_valid():
        matches = services.look_up_members(
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


@staff_page(account_staff.can_look_up_members)
def member_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    if not verification.is_verified(request, str(public_id), now=clock.now()):
        messages.warning(request, _("Verify the caller first: look them up again."))
        return HttpResponseRedirect(reverse("staff:member_lookup"))
    reminder_form = ReasonForm(prefix="reminder")
    unlock_form = ReasonForm(prefix="unlock")
    if request.method == "GET":
        card = services.open_member_card(actor=request.user, public_id=public_id, request=request)
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
        services.record_member_card_viewed(actor=request.user, card=card, request=request)
        return _render_member(request, card, reminder_form, unlock_form, status=400)
    if form.is_valid():
        try:
            if action == "reminder":
                sent = account_staff.send_username_reminder(
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
                unlocked = account_staff.unlock_account(
                    user=card.member.user,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                    subject=card.member,
                )
                messages.success(request, _unlock_message(unlocked.was_locked))
        except account_staff.StaffForbidden as error:
            return render(request, "staff/forbidden.html", {"message": error.message}, status=403)
        except DomainError as error:
            if not form.add_domain_error(error, fields=REASON_ERRORS):
                messages.error(request, error.message)
        else:
            return HttpResponseRedirect(reverse("staff:member_detail", args=[public_id]))
    services.record_member_card_viewed(actor=request.user, card=card, request=request)
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
            "can_send_reminder": account_staff.can_send_username_reminder(request.user),
            "can_unlock": account_staff.can_unlock(request.user),
        },
        status=status,
    )


def _unlock_message(was_locked: bool) -> str:
    if was_locked:
        return _("Sign-in is unlocked and the failed tries are cleared. They can sign in now.")
    return _("There was no lock or failed try on this account; nothing needed clearing.")


# --- Account team: find an account, change its username or email -----------------------------


@staff_page(account_staff.can_change_identity)
def user_search(request: HttpRequest) -> HttpResponse:
    """POST, not ``?q=``: an email address is an identifier that must stay out of URLs and logs."""
    form = UserSearchForm(request.POST if request.method == "POST" else None)
    users = None
    if form.is_valid():
        users = services.search_users(
            actor=request.user, query=form.cleaned_data["q"], request=request
        )
    return render(request, "staff/user_search.html", {"form": form, "users": users})


@staff_page(account_staff.can_change_identity)
def user_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    forms: dict[str, StaffForm] = {
        "username": UsernameChangeForm(prefix="username"),
        "email": EmailChangeForm(prefix="email"),
        "unlock": ReasonForm(prefix="unlock"),
    }
    if request.method == "GET":
        card = services.open_account_card(actor=request.user, public_id=public_id, request=request)
        if card is None:
            raise Http404
        return _render_account(request, card, forms)

    card = find_account_card(viewer=request.user, public_id=public_id)
    if card is None:
        raise Http404
    action = request.POST.get("action", "")
    if action not in forms:
        messages.error(request, _("Choose one of the actions on this page."))
        services.record_account_card_viewed(actor=request.user, card=card, request=request)
        return _render_account(request, card, forms, status=400)
    form = type(forms[action])(request.POST, prefix=action)
    forms[action] = form
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "username":
                account_staff.change_username(
                    user=card.user,
                    new_username=data["new_username"],
                    actor=request.user,
                    reason=data["reason"],
                    request=request,
                )
                message = _("Username changed. We sent a notice to the account's email address.")
            elif action == "email":
                account_staff.change_email(
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
                unlocked = account_staff.unlock_account(
                    user=card.user, actor=request.user, reason=data["reason"], request=request
                )
                message = _unlock_message(unlocked.was_locked)
        except account_staff.StaffForbidden as error:
            return render(request, "staff/forbidden.html", {"message": error.message}, status=403)
        except DomainError as error:
            fields = {"username": USERNAME_ERRORS, "email": EMAIL_ERRORS}.get(action, REASON_ERRORS)
            if not form.add_domain_error(error, fields=fields):
                messages.error(request, error.message)
        else:
            messages.success(request, message)
            return HttpResponseRedirect(reverse("staff:user_detail", args=[public_id]))
    services.record_account_card_viewed(actor=request.user, card=card, request=request)
    return _render_account(request, card, forms)


def _render_account(
    request: HttpRequest, card: Any, forms: dict[str, StaffForm], *, status: int = 200
) -> HttpResponse:
    actor = request.user
    may_act = account_staff.may_act_on(actor, card.user)
    return render(
        request,
        "staff/user_detail.html",
        {
            "card": card,
            "username_form": forms["username"],
            "email_form": forms["email"],
            "unlock_form": forms["unlock"],
            "may_change": may_act and account_staff.can_change_identity(actor),
            "can_unlock": may_act and account_staff.can_unlock(actor),
        },
        status=status,
    )
