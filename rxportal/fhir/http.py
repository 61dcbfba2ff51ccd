"""FHIR's HTTP conventions: content negotiation (``_format``, ``Accept``), JSON responses,
OperationOutcome errors and searchset Bundles with a ``next`` link."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse

FHIR_JSON = "application/fhir+json"
# What a client may ask for; XML is not served (the CapabilityStatement says json only).
_JSON_FORMATS = {"json", "application/json", FHIR_JSON, "application/json+fhir"}


def wants_unsupported_format(request: HttpRequest) -> bool:
    """True when ``_format`` or ``Accept`` asks only for something other than JSON (406)."""
    requested = request.GET.get("_format", "")
    if requested:
        return requested.split(";")[0].strip() not in _JSON_FORMATS
    accept = request.headers.get("Accept", "")
    if not accept:
        return False
    kinds = [part.split(";")[0].strip() for part in accept.split(",")]
    return not any(kind in _JSON_FORMATS or kind in ("*/*", "application/*") for kind in kinds)


def nul_refusal(request: HttpRequest, ids: Mapping[str, Any]) -> HttpResponse | None:
    """The answer to a query (400) or a resource id (404) holding a NUL character, which no
    search matches and PostgreSQL refuses in a text parameter; None when there is none."""
    query = request.GET.lists()
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in query):
        return operation_outcome(
            400, code="invalid", diagnostics="A search parameter holds a NUL character."
        )
    if any("\x00" in str(value) for value in ids.values()):
        return operation_outcome(404, code="not-found", diagnostics="No such resource.")
    return None


def fhir_response(resource: Mapping[str, Any], *, status: int = 200) -> HttpResponse:
    body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"), default=str)
    response = HttpResponse(body, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    return response


def operation_outcome(
    status: int, *, code: str, diagnostics: str, severity: str = "error"
) -> HttpResponse:
    """An error as an OperationOutcome (``code`` from the FHIR issue-type value set)."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }
    return fhir_response(outcome, status=status)


def searchset(
    request: HttpRequest,
    *,
    entries: Sequence[Mapping[str, Any]],
    base_url: str,
    next_params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    total: int | None = None,
) -> dict[str, Any]:
    """A searchset Bundle: ``entries`` are resources; ``next_params`` (the query for the next
    page, a cursor among them; pairs when a parameter repeats) adds a ``next`` link when there is
    a next page."""
    query = request.GET.urlencode()
    self_url = f"{base_url}{request.path}" + (f"?{query}" if query else "")
    links = [{"relation": "self", "url": self_url}]
    if next_params:
        links.append(
            {"relation": "next", "url": f"{base_url}{request.path}?{urlencode(next_params)}"}
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base_url}/fhir/R4/{entry['resourceType']}/{entry['id']}",
                "resource": entry,
                "search": {"mode": "match"},
            }
            for entry in entries
        ],
    }
    if total is not None:
        bundle["total"] = total
    return bundle
