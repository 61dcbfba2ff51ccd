"""What the public FHIR endpoints (formulary and pharmacy directory) share: GET only, JSON only,
no sign-in, cacheable for a few minutes, errors as OperationOutcome, strict search parameters,
``_count`` bounds and signed page cursors.

A cursor is the last row's keyset position, signed so a client can neither forge one nor read
an internal key out of it; a bad or foreign cursor is a 400.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from rxportal.fhir.http import (
    fhir_response,
    nul_refusal,
    operation_outcome,
    searchset,
    wants_unsupported_format,
)

# Public, non-PHI data that changes at most daily: a short shared cache lifetime.
PUBLIC_MAX_AGE_SECONDS = 300
DEFAULT_COUNT = 20
MAX_COUNT = 100
# Parameters every search accepts besides its own.
_COMMON_PARAMETERS = frozenset({"_format", "_count", "_cursor"})
# Signed without a timestamp (unlike signing.dumps): the same page has the same next link, so
# cached pages stay identical and a cursor does not expire under a slow client.
_CURSOR_SIGNER = signing.Signer(salt="rxportal.fhir.public.cursor")


class SearchError(Exception):
    """A search the server will not run: answered 400 with an OperationOutcome."""

    def __init__(self, diagnostics: str, *, code: str = "invalid") -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics
        self.code = code


class NotFound(Exception):
    """No resource of that type and id: answered 404 with an OperationOutcome."""


def public_endpoint(
    view: Callable[..., dict[str, Any]],
) -> Callable[..., HttpResponse]:
    """Wrap a view returning a resource (or Bundle) dict: method and format checks, errors as
    OperationOutcome, and the public cache headers on every answer."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = operation_outcome(
                405, code="not-supported", diagnostics="This resource is read-only."
            )
            response["Allow"] = "GET, HEAD"
        elif wants_unsupported_format(request):
            response = operation_outcome(
                406, code="not-supported", diagnostics="Only application/fhir+json is served."
            )
        elif (refused := nul_refusal(request, kwargs)) is not None:
            response = refused
        else:
            try:
                response = fhir_response(view(request, *args, **kwargs))
            except SearchError as error:
                response = operation_outcome(400, code=error.code, diagnostics=error.diagnostics)
            except NotFound as error:
                response = operation_outcome(404, code="not-found", diagnostics=str(error))
        patch_vary_headers(response, ["Accept"])
        if response.status_code < 500:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE_SECONDS)
        return response

    return wrapper


def check_parameters(request: HttpRequest, allowed: Collection[str]) -> None:
    """Refuse a parameter this search does not know (rather than silently ignore a filter),
    unless the client asked for ``Prefer: handling=lenient``."""
    unknown = sorted(set(request.GET) - set(allowed) - _COMMON_PARAMETERS)
    lenient = "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "")
    if unknown and not lenient:
        raise SearchError(
            f"Unsupported search parameter(s): {', '.join(unknown)}.", code="not-supported"
        )
    for name in request.GET:
        if len(request.GET.getlist(name)) > 1 and name != "_include":
            raise SearchError(f"Give {name} once (separate several values with commas).")


def page_size(request: HttpRequest) -> int:
    """``_count``: 1 to 100 (more is served as 100 pages, as FHIR lets a server do)."""
    raw = request.GET.get("_count", "")
    if not raw:
        return DEFAULT_COUNT
    # ASCII digits only: "²".isdigit() is true and int() refuses it; 6 digits is plenty.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        raise SearchError("_count must be a whole number from 1 to 100.")
    return min(int(raw), MAX_COUNT)


def read_cursor(request: HttpRequest, kind: str) -> Any:
    """The keyset position from ``_cursor`` (None on the first page)."""
    raw = request.GET.get("_cursor", "")
    if not raw:
        return None
    try:
        payload = _CURSOR_SIGNER.unsign_object(raw)
    except signing.BadSignature as error:
        raise SearchError("The _cursor is not one this server issued.") from error
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise SearchError("The _cursor belongs to another search.")
    return payload.get("after")


def next_page_params(request: HttpRequest, kind: str, after: Any) -> dict[str, str] | None:
    """The query of the next page (this one's parameters and a new cursor), or None."""
    if after is None:
        return None
    params: dict[str, str] = {
        name: str(value) for name, value in request.GET.items() if name != "_cursor"
    }
    params["_cursor"] = _CURSOR_SIGNER.sign_object({"kind": kind, "after": after})
    return params


def base_url() -> str:
    """The site's configured address, never the request's Host header (a forged Host would
    otherwise end up in cached, public Bundle links)."""
    return str(settings.RXPORTAL_BASE_URL).rstrip("/")


def values_of(request: HttpRequest, name: str) -> list[str] | None:
    """A parameter's comma-separated values (FHIR's OR), None when absent."""
    raw = request.GET.get(name)
    if raw is None:
        return None
    values = [value.strip() for value in raw.split(",") if value.strip()]
    if not values:
        raise SearchError(f"{name} needs a value.")
    return values


def token_codes(request: HttpRequest, name: str, *, system: str) -> list[str] | None:
    """A token parameter's codes: ``code`` or ``system|code``; another system matches nothing."""
    values = values_of(request, name)
    if values is None:
        return None
    codes = []
    for value in values:
        if "|" in value:
            given_system, code = value.split("|", 1)
            if given_system and given_system != system:
                continue
            codes.append(code)
        else:
            codes.append(value)
    return codes


def reference_ids(request: HttpRequest, name: str, *, resource_type: str) -> list[str] | None:
    """A reference parameter's ids: ``Type/id``, an absolute URL ending so, or a bare id."""
    values = values_of(request, name)
    if values is None:
        return None
    ids = []
    for value in values:
        parts = value.rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] != resource_type:
            raise SearchError(f"{name} must reference a {resource_type}.")
        ids.append(parts[-1])
    return ids


def includes(request: HttpRequest, allowed: Iterable[str]) -> set[str]:
    wanted = set(request.GET.getlist("_include"))
    unknown = sorted(wanted - set(allowed))
    if unknown:
        raise SearchError(f"Unsupported _include: {', '.join(unknown)}.", code="not-supported")
    return wanted


def bundle(
    request: HttpRequest,
    *,
    kind: str,
    matches: Sequence[Mapping[str, Any]],
    after: Any,
    included: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A searchset Bundle of the page's matches (and ``_include``d resources, once each)."""
    url = base_url()
    result = searchset(
        request, entries=matches, base_url=url, next_params=next_page_params(request, kind, after)
    )
    seen = {(entry["resourceType"], entry["id"]) for entry in matches}
    for resource in included:
        key = (resource["resourceType"], resource["id"])
        if key in seen:
            continue
        seen.add(key)
        result["entry"].append(
            {
                "fullUrl": f"{url}/fhir/R4/{key[0]}/{key[1]}",
                "resource": resource,
                "search": {"mode": "include"},
            }
        )
    return result


def search_param(name: str, kind: str, documentation: str) -> dict[str, str]:
    """One searchParam entry of a CapabilityStatement resource."""
    return {"name": name, "type": kind, "documentation": documentation}
