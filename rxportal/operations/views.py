"""/readyz for load balancers and orchestrators, /metrics for Prometheus (restricted)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from rxportal.operations.health import check_readiness, is_ready
from rxportal.operations.metrics import is_metrics_caller_allowed, render_metrics


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every dependency answers, else 503 naming the ones that did not; the replica is
    reported but a down replica does not make the node unready (reads fall back to the primary)."""
    checks = check_readiness()
    ready = is_ready(checks)
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {name: "ok" if answered else "down" for name, answered in checks.items()},
        },
        status=200 if ready else 503,
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape. Anyone else gets the ordinary 404: the page is not there for them."""
    if not is_metrics_caller_allowed(request):
        raise Http404
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
