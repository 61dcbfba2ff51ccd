"""Errors as RFC 9457 problem details (``application/problem+json``).

Raise ``Problem`` anywhere under the API; ``install`` registers the handlers that turn it, and
ninja's own errors (no token, invalid input, unknown method, anything unexpected), into a
problem document with ``type``, ``title``, ``status`` and ``detail``. ``PROBLEM_TYPES`` names
every type the API answers with; the OpenAPI document lists them per operation
(``ERROR_RESPONSES``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

PROBLEM_JSON = "application/problem+json"
# Problem types are documented under this path (relative URIs are allowed by RFC 9457).
TYPE_BASE = "/api/v1/problems/"

logger = logging.getLogger(__name__)

# slug -> (status, title): every problem type the API answers with. Titles and details are said
# in the caller's language (Accept-Language: en or es); slugs, codes and field names never change.
PROBLEM_TYPES: dict[str, tuple[int, str | Promise]] = {
    "bad-request": (400, gettext_lazy("The request body cannot be read")),
    "unauthorized": (401, gettext_lazy("A valid access token is required")),
    "insufficient-scope": (403, gettext_lazy("The access token does not allow this")),
    "not-found": (404, gettext_lazy("Not found")),
    "method-not-allowed": (405, gettext_lazy("Method not allowed")),
    "validation-error": (422, gettext_lazy("The request is not valid")),
    "not-quotable": (422, gettext_lazy("This estimate cannot be saved as a price quote")),
    "rate-limited": (429, gettext_lazy("Too many requests")),
    "server-error": (500, gettext_lazy("Something went wrong on our side")),
}


class Problem(Exception):
    def __init__(
        self,
        status: int,
        slug: str,
        title: str | Promise,
        detail: str | Promise = "",
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(slug)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    @classmethod
    def of(
        cls,
        slug: str,
        detail: str | Promise = "",
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Problem:
        """A problem of one of the ``PROBLEM_TYPES``, with its status and title."""
        status, title = PROBLEM_TYPES[slug]
        return cls(status, slug, title, detail, extra=extra, headers=headers)


def not_found(detail: str | Promise = "") -> Problem:
    return Problem.of("not-found", detail or _("There is nothing here, or you may not see it."))


def invalid(field: str, message: str | Promise, *, code: str = "invalid") -> Problem:
    """A 422 naming one field (``query.quantity``, ``body.drug``...) and what is wrong with it."""
    return Problem.of(
        "validation-error",
        message,
        extra={"errors": [{"field": field, "code": code, "message": str(message)}]},
    )


def insufficient_scope(scope: str) -> Problem:
    return Problem.of(
        "insufficient-scope",
        _("This needs the %(scope)s scope.") % {"scope": scope},
        extra={"error": "insufficient_scope", "scope": scope},
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
    )


# --- The problem document and its schema -------------------------------------------------------


class FieldErrorOut(Schema):
    field: str
    code: str
    message: str


class ProblemOut(Schema):
    """RFC 9457 problem details, served as application/problem+json. ``type`` is
    /api/v1/problems/<slug>: bad-request (400), unauthorized (401, with WWW-Authenticate: Bearer),
    insufficient-scope (403, with the scope to ask for), not-found (404), method-not-allowed
    (405), validation-error (422, ``errors`` names each field as sent: query.<name>,
    body.<name>), not-quotable (422), rate-limited (429, with Retry-After), server-error (500)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldErrorOut] | None = None


# The error statuses every operation may answer with; the OpenAPI document lists each, with
# the problem schema as application/problem+json (``api.PortalAPI.get_openapi_schema``).
ERROR_RESPONSES: tuple[int, ...] = (400, 401, 403, 404, 422, 429, 500)


def status_title(status: int) -> str:
    """The problem types of one status, for the OpenAPI document's response description."""
    slugs = [slug for slug, (code, _title) in PROBLEM_TYPES.items() if code == status]
    return "Problem details: " + ", ".join(slugs) if slugs else "Problem details"


def problem_response(api: NinjaAPI, request: HttpRequest, problem: Problem) -> HttpResponse:
    body: dict[str, Any] = {
        "type": f"{TYPE_BASE}{problem.slug}",
        "title": str(problem.title),
        "status": problem.status,
    }
    if problem.detail:
        body["detail"] = str(problem.detail)
    body.update(problem.extra)
    response = api.create_response(request, body, status=problem.status)
    response["Content-Type"] = PROBLEM_JSON
    response["Content-Language"] = get_language() or "en"
    patch_vary_headers(response, ("Accept-Language",))
    for name, value in problem.headers.items():
        response[name] = value
    return response


def unauthorized(request: HttpRequest) -> Problem:
    """401 with the challenge RFC 6750 asks for: ``invalid_token`` only when one was sent."""
    sent = request.headers.get("Authorization", "").startswith("Bearer ")
    challenge = 'Bearer realm="rxportal"'
    detail = _("Send an access token: Authorization: Bearer <token>.")
    if sent:
        challenge += ', error="invalid_token"'
        detail = _("The access token is invalid, expired or revoked.")
    return Problem.of("unauthorized", detail, headers={"WWW-Authenticate": challenge})


def _field_name(loc: Any) -> str:
    """ninja's error location as the name the caller sent: ``query.quantity``, ``body.drug``.

    Query, path and header values are flat (a ``Query[Schema]`` parameter's name is not part of
    the request), so the last name in the location is the one sent; a body schema is the whole
    body, so its parameter name is dropped too.
    """
    parts = list(loc) if isinstance(loc, list | tuple) else [loc]
    if not parts:
        return ""
    source, rest = str(parts[0]), parts[1:]
    if source in {"query", "path", "header", "cookie"}:
        names = [part for part in rest if isinstance(part, str)]
        return f"{source}.{names[-1]}" if names else source
    if source == "body" and rest:
        rest = rest[1:]
    return ".".join([source, *(str(part) for part in rest)])


def validation_problem(exc: ValidationError) -> Problem:
    errors = [
        {
            "field": _field_name(error.get("loc", ())),
            "code": str(error.get("type", "invalid")),
            "message": str(error.get("msg", "Invalid value.")),
        }
        for error in exc.errors
    ]
    fields = ", ".join(sorted({error["field"] for error in errors}))
    return Problem.of(
        "validation-error",
        _("Check these fields: %(fields)s.") % {"fields": fields},
        extra={"errors": errors},
    )


def _http_error_problem(exc: HttpError) -> Problem:
    slug = next((s for s, (status, _t) in PROBLEM_TYPES.items() if status == exc.status_code), "")
    if slug:
        return Problem.of(slug, str(exc))
    return Problem(exc.status_code, "error", str(exc))


def install(api: NinjaAPI) -> None:
    def on_problem(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(api, request, exc)

    def on_unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(api, request, unauthorized(request))

    def on_invalid(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(api, request, validation_problem(exc))

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(api, request, _http_error_problem(exc))

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(api, request, not_found())

    def on_unreadable_body(request: HttpRequest, exc: Any) -> HttpResponse:
        # A multipart body without its boundary: the token check reads the form, as OAuth allows.
        return problem_response(api, request, Problem.of("bad-request", str(exc)))

    def on_anything_else(request: HttpRequest, exc: Any) -> HttpResponse:
        # Logged with its traceback for the error tracker; the caller learns nothing of it.
        logger.exception("API error on %s %s", request.method, request.path)
        return problem_response(api, request, Problem.of("server-error"))

    api.add_exception_handler(Problem, on_problem)
    api.add_exception_handler(AuthenticationError, on_unauthenticated)
    api.add_exception_handler(ValidationError, on_invalid)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(MultiPartParserError, on_unreadable_body)
    api.add_exception_handler(Exception, on_anything_else)
