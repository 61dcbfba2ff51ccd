"""Operational endpoints."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
