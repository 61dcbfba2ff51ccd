"""The one check every client-portal and console page passes: a Django permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.core.views import forbidden

View = Callable[..., HttpResponseBase]
ACTION_PAGE_DENIED = "clients.page.denied"


def permission_page(permission: str) -> Callable[[View], View]:
    """Signed in (else to sign-in), holding ``permission`` (else the 403 page, audited), GET or
    POST only, never cached."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.has_perm(permission):
                match = request.resolver_match
                record_event(
                    action=ACTION_PAGE_DENIED,
                    outcome=Outcome.DENIED,
                    actor=request.user,
                    request=request,
                    details={"view": match.view_name if match is not None else ""},
                )
                return forbidden(request)
            return view(request, *args, **kwargs)

        return never_cache(login_required(require_http_methods(["GET", "POST"])(checked)))

    return decorator
