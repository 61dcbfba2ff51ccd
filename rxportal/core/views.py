"""Operational endpoints."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from rxportal.core.contact import default_support_contacts
from rxportal.core.middleware import request_too_large


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "down" for a health probe
        return False


def _cache_ok() -> bool:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=5)
        ok = cache.get(key) == "ok"
        cache.delete(key)
        return ok
    except Exception:  # a cache outage is reported, not raised
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": {k: "ok" if v else "down" for k, v in checks.items()},
        },
        status=200 if healthy else 503,
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: a body Django found too large (``RequestDataTooBig``) is a 413, with the
    same page as ``RequestBodyLimitMiddleware``'s; any other bad request keeps Django's 400."""
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request)
    return defaults.bad_request(request, exception)


def _error_page_context(request: HttpRequest, **context: object) -> dict[str, object]:
    """An error page's forms (language switch, stay signed in) return to the path alone: the
    refused or unknown URL's query string may carry what was searched for (a member's name, in
    the back office)."""
    return {"return_path": request.path, **context}


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    """The branded 403: the site's layout, where this viewer's pages are, and a way to help.
    ``message`` says why, when the refusing service gave a reason."""
    return render(
        request, "core/403.html", _error_page_context(request, message=message), status=403
    )


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler403``: ``PermissionDenied`` raised anywhere (the CMS for non-editors, Django's
    own views) gets the same branded page as the consoles' refusals."""
    return forbidden(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: the branded page, in the site's layout (the viewer's own help line)."""
    return render(request, "core/404.html", _error_page_context(request), status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: branded and in the active language, but rendered without the request's
    context processors: whatever failed (the database, the session, the user) is not touched
    again. Only settings' phone numbers, and the CSRF token for the language switch."""
    template = loader.get_template("core/500.html")
    context = {"support": default_support_contacts(), "csrf_token": get_token(request)}
    return HttpResponseServerError(template.render(context))


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico leads to the portal's icon; resolved per request, since the static manifest
    may not exist yet when the URLconf is imported (``migrate`` runs before ``collectstatic``)."""
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))
