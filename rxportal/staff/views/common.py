"""The gate every staff console page goes through, and what several journeys share.

Every page needs a signed-in user holding the page's permission; anyone else gets the 403 page
(and an audit entry). Pages are never cached, and every form posts with a CSRF token. Staff must
also use a second factor: ``MfaEnrolmentGateMiddleware`` (rxportal.accounts.middleware),
installed site-wide, keeps a staff session without one on the enrolment pages, so the pages here
check only sign-in and permission.
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
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rxportal.core.views import forbidden
from rxportal.staff.services import lookups, verification
from rxportal.staff.services.verification import CallerCheck

Actor = AbstractBaseUser | AnonymousUser
View = Callable[..., HttpResponse]

# Where a service's error code is shown: next to this field, else above the form.
REASON_ERRORS = {"staff.reason.": "reason"}


def staff_page(allowed: Callable[[Actor], bool]) -> Callable[[View], View]:
    """Signed in (else to the sign-in page), permission held (else 403, audited), never cached."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(request.user):
                match = request.resolver_match
                lookups.record_access_denied(
                    actor=request.user,
                    request=request,
                    view_name=match.view_name if match is not None else "",
                )
                return forbidden(request)
            return view(request, *args, **kwargs)

        return never_cache(login_required(require_http_methods(["GET", "POST"])(checked)))

    return decorator


def caller_check(request: HttpRequest, public_id: uuid.UUID) -> CallerCheck | None:
    """When this session verified the caller as ``public_id`` (member or client user), if it did."""
    at = verification.verified_at(request, str(public_id))
    return CallerCheck(public_id=str(public_id), verified_at=at) if at is not None else None


def verify_again(request: HttpRequest, url_name: str) -> HttpResponse:
    messages.warning(request, _("Verify the caller first: look them up again."))
    return HttpResponseRedirect(reverse(url_name))


def unlock_message(was_locked: bool) -> str:
    if was_locked:
        return _("Sign-in is unlocked and the failed tries are cleared. They can sign in now.")
    return _("There was no lock or failed try on this account; nothing needed clearing.")
