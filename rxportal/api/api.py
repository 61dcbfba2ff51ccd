"""The NinjaAPI instance: version 1, its routers, its authentication, limits and errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from django.utils.cache import add_never_cache_headers
from ninja import NinjaAPI

from rxportal.api import problems, ratelimit
from rxportal.api.auth import AccessToken
from rxportal.api.routers import (
    claims,
    costs,
    coverage,
    drugs,
    notifications,
    orders,
    pharmacies,
    prescriptions,
    profile,
    refills,
)
from rxportal.members.selectors import patient_limit_scope

View = Callable[..., HttpResponseBase]


class PortalAPI(NinjaAPI):
    """NinjaAPI whose every URL, including unknown ones under the prefix, counts against the
    rate limit, carries the RateLimit headers, and answers errors as problem details."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern):
                url.callback = self._guarded(url.callback)
        urls.append(re_path(r"^.*$", self._guarded(self._unknown_route), name="unknown-route"))
        return urls

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """ninja's document, with the problem responses every operation can give (the problem
        schema, as application/problem+json) added to each operation that does not list them."""
        schema = super().get_openapi_schema(**kwargs)
        document = problems.ProblemOut.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(document.pop("$defs", {}))
        components["ProblemOut"] = document
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status in problems.ERROR_RESPONSES:
                    responses.setdefault(  # ninja keys responses by int status
                        status,
                        {
                            "description": problems.status_title(status),
                            "content": {
                                problems.PROBLEM_JSON: {
                                    "schema": {"$ref": "#/components/schemas/ProblemOut"}
                                }
                            },
                        },
                    )
        return schema

    def _unknown_route(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return problems.problem_response(self, request, problems.not_found())

    def _guarded(self, view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                # The token check may bind the request to one patient; the binding ends here.
                with patient_limit_scope():
                    response = view(request, *args, **kwargs)
            except Http404:  # ninja's own root view raises it outside its error handling
                response = problems.problem_response(self, request, problems.not_found())
            if not ratelimit.is_charged(request):
                # Nothing authenticated this request (no token, the schema, an unknown URL or
                # method): it counts against the caller's address.
                try:
                    ratelimit.charge_address(request)
                except problems.Problem as refused:
                    response = problems.problem_response(self, request, refused)
            if response.status_code == 405 and "problem" not in response.get("Content-Type", ""):
                allow = response.get("Allow", "")
                response = problems.problem_response(
                    self,
                    request,
                    problems.Problem.of(
                        "method-not-allowed",
                        f"Use one of: {allow}.",
                        headers={"Allow": allow},
                    ),
                )
            ratelimit.add_headers(request, response)
            # Answers carry a member's records (and errors name what was asked): no cache, in
            # the app or on the way, may keep them.
            add_never_cache_headers(response)
            return response

        guarded.csrf_exempt = True  # type: ignore[attr-defined]
        return guarded


api = PortalAPI(
    title="rxportal API",
    version="1",
    description=(
        "The member's plan records for the mobile app and connected apps. Every call needs an "
        "OAuth 2.0 access token (Authorization: Bearer); reads of a member's records need the "
        "SMART scope of the matching FHIR type; writes need their own scope (refills.write, "
        "notifications.write, quotes.write). A token whose consent named one patient "
        "(launch/patient) reads and changes only that patient's records; without it, the app "
        "sees everyone the member may see on the web. Errors are RFC 9457 problem details; "
        "each response carries RateLimit-Limit and RateLimit-Remaining."
    ),
    urls_namespace="api_v1",
    auth=AccessToken(),
    docs_url=None,
)

problems.install(api)

# The member's profile and coverage, drugs, costs and pharmacies.
api.add_router("/profile", profile.router)
api.add_router("/coverage", coverage.router)
api.add_router("/drugs", drugs.router)
api.add_router("/costs", costs.router)
api.add_router("/pharmacies", pharmacies.router)
# The member-record routers (prescriptions, refills, orders, claims, notifications).
api.add_router("/prescriptions", prescriptions.router)
api.add_router("/", refills.router)
api.add_router("/orders", orders.router)
api.add_router("/claims", claims.router)
api.add_router("/notifications", notifications.router)
