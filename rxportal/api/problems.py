"""Errors as RFC 9457 problem details (``application/problem+json``).

Raise ``Problem`` anywhere under the API; ``install`` registers the handlers that turn it (and
ninja's own errors) into a problem document with ``type``, ``title``, ``status`` and ``detail``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

PROBLEM_JSON = "application/problem+json"
# Problem types are documented under this path (relative URIs are allowed by RFC 9457).
TYPE_BASE = "/api/v1/problems/"


class Problem(Exception):
    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str = "",
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def problem_response(api: NinjaAPI, request: HttpRequest, problem: Problem) -> HttpResponse:
    body: dict[str, Any] = {
        "type": f"{TYPE_BASE}{problem.slug}",
        "title": problem.title,
        "status": problem.status,
    }
    if problem.detail:
        body["detail"] = problem.detail
    body.update(problem.extra)
    response = api.create_response(request, body, status=problem.status)
    response["Content-Type"] = PROBLEM_JSON
    for name, value in problem.headers.items():
        response[name] = value
    return response


def install(api: NinjaAPI) -> None:
    api.add_exception_handler(
        Problem,
        lambda request, exc: problem_response(api, request, exc),  # type: ignore[arg-type]
    )
