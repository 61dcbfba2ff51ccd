"""FHIR R4 Patient Access (CMS): Patient, Coverage and CARIN Blue Button pharmacy
ExplanationOfBenefit, for the app a member connected, behind SMART scopes.

Every request, in this order: a JSON format (else 406), a valid bearer token (else 401), a
scope for the type (else 403), then the token's patient, looked up again by the family rule
(``records.reads.find_visible_member``) so a consent revoked after the app connected ends its
view at once. Anyone but that patient is "not found" (404). Each read of PHI is audited once
through ``records.reads.record_phi_read`` with the edge ``fhir`` and the app's client id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt

from rxportal.api import ratelimit
from rxportal.api.problems import Problem
from rxportal.claims.errors import InvalidCursor
from rxportal.claims.selectors import (
    PatientClaimsQuery,
    find_patient_claim,
    get_patient_claims_page,
)
from rxportal.connected_apps.bearer import TokenGrant, authenticate_bearer
from rxportal.core import clock
from rxportal.fhir import carin, search
from rxportal.fhir.http import (
    fhir_response,
    nul_refusal,
    operation_outcome,
    searchset,
    wants_unsupported_format,
)
from rxportal.records.reads import Edge, Reader, find_visible_member, record_phi_read
from rxportal.web.selectors import id_card_for

if TYPE_CHECKING:
    from rxportal.claims.models import Claim
    from rxportal.members.models import Member

SEARCH_DOC = "https://hl7.org/fhir/R4/search.html"

# What this module serves, for the CapabilityStatement (rxportal.fhir.capability).
CAPABILITIES: list[dict[str, Any]] = [
    {
        "type": "Patient",
        "supportedProfile": [carin.PATIENT_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": "_id", "type": "token", "documentation": "The patient the app may read."},
        ],
    },
    {
        "type": "Coverage",
        "supportedProfile": [carin.COVERAGE_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": "_id", "type": "token", "documentation": "Logical id of the coverage."},
            {"name": "patient", "type": "reference", "documentation": "The beneficiary."},
        ],
    },
    {
        "type": "ExplanationOfBenefit",
        "supportedProfile": [carin.EOB_PHARMACY_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": "_id", "type": "token", "documentation": "Logical id of the claim."},
            {"name": "patient", "type": "reference", "documentation": "The patient."},
            {
                "name": "_lastUpdated",
                "type": "date",
                "documentation": "When the claim last changed (eq, ge, gt, le, lt).",
            },
            {"name": "type", "type": "token", "documentation": "Claim type: only pharmacy."},
            {
                "name": "service-date",
                "type": "date",
                "documentation": "Date of service (eq, ge, gt, le, lt).",
            },
            {
                "name": "_count",
                "type": "number",
                "documentation": "Page size from 1; more than 100 is served as pages of 100.",
            },
        ],
    },
]

_CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"


@dataclass(frozen=True)
class PatientAccess:
    """A request the checks let through: who reads, through which app, and whose records."""

    reader: Reader
    grant: TokenGrant
    patient: Member


View = Callable[..., HttpResponse]


def _unauthorized(request: HttpRequest) -> HttpResponse:
    response = operation_outcome(
        401, code="login", diagnostics="A valid bearer access token is required."
    )
    # RFC 6750: a token that was sent but refused says so; no token at all gets no error code.
    sent = request.headers.get("Authorization", "").startswith("Bearer ")
    response["WWW-Authenticate"] = 'Bearer realm="fhir"' + (
        ', error="invalid_token"' if sent else ""
    )
    return response


def _insufficient_scope(resource_type: str, *, search_: bool) -> HttpResponse:
    needed = f"patient/{resource_type}.{'s' if search_ else 'r'}"
    response = operation_outcome(
        403,
        code="forbidden",
        diagnostics=f"The access token's scopes do not allow reading {resource_type}.",
    )
    response["WWW-Authenticate"] = (
        f'Bearer realm="fhir", error="insufficient_scope", scope="{needed} patient/*.read"'
    )
    return response


def not_found(resource_type: str) -> HttpResponse:
    return operation_outcome(404, code="not-found", diagnostics=f"No such {resource_type}.")


def _bad_search(message: str) -> HttpResponse:
    return operation_outcome(400, code="invalid", diagnostics=message)


def patient_access(resource_type: str, *, search_: bool) -> Callable[[View], View]:
    """Run the module docstring's checks, then the view with a ``PatientAccess``; answers are
    never cached and never HTML."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = _checked(request, resource_type, search_, view, args, kwargs)
            add_never_cache_headers(response)
            return response

        return wrapper

    return decorate


def _checked(
    request: HttpRequest,
    resource_type: str,
    search_: bool,
    view: View,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = operation_outcome(
            405, code="not-supported", diagnostics="Only reads and searches by GET are served."
        )
        response["Allow"] = "GET, HEAD"
        return response
    if wants_unsupported_format(request):
        return operation_outcome(
            406, code="not-supported", diagnostics="Only application/fhir+json is served."
        )
    refused = nul_refusal(request, kwargs)
    if refused is not None:
        return refused
    grant = authenticate_bearer(request)
    try:
        # The JSON API's limit, on the same count per token (per address for a bad token):
        # FHIR is no way around it, nor a place to guess tokens without end.
        if grant is None:
            ratelimit.charge_address(request)
        else:
            ratelimit.charge_token(request, grant.token_id)
    except Problem as over_limit:
        response = operation_outcome(429, code="throttled", diagnostics=str(over_limit.detail))
        response["Retry-After"] = over_limit.headers.get("Retry-After", "60")
        return response
    if grant is None:
        return _unauthorized(request)
    if not grant.allows_read(resource_type, search=search_):
        return _insufficient_scope(resource_type, search_=search_)
    reader = Reader(user=grant.user, edge=Edge.FHIR, request=request, client_id=grant.client_id)
    patient = find_visible_member(reader, public_id=grant.patient_public_id, today=clock.today())
    if patient is None:
        return not_found(resource_type)
    return view(
        request, PatientAccess(reader=reader, grant=grant, patient=patient), *args, **kwargs
    )


def _base_url() -> str:
    return str(settings.RXPORTAL_BASE_URL).rstrip("/")


def _is_patient(access: PatientAccess, resource_id: str) -> bool:
    return resource_id.strip().lower() == str(access.patient.public_id)


def _wanted_ids(request: HttpRequest) -> list[str]:
    """``_id`` values (comma-separated and repeated), lower-cased."""
    return [
        value.strip().lower()
        for raw in request.GET.getlist("_id")
        for value in raw.split(",")
        if value.strip()
    ]


def _patient_param_matches(request: HttpRequest, access: PatientAccess) -> bool:
    """Whether every ``patient`` value names the token's patient (absent means that patient)."""
    return all(
        _is_patient(access, search.reference_id(value, resource_type="Patient"))
        for value in request.GET.getlist("patient")
    )


def _audit(access: PatientAccess, *, action: str, count: int, interaction: str) -> None:
    record_phi_read(
        access.reader,
        action=action,
        subject=access.patient,
        details={"count": count, "interaction": interaction},
    )


# --- Patient -------------------------------------------------------------------------------------


@patient_access("Patient", search_=False)
def patient_read(request: HttpRequest, access: PatientAccess, resource_id: str) -> HttpResponse:
    if not _is_patient(access, resource_id):
        return not_found("Patient")
    _audit(access, action="phi.fhir.patient.viewed", count=1, interaction="read")
    return fhir_response(carin.patient_from_member(access.patient))


@patient_access("Patient", search_=True)
def patient_search(request: HttpRequest, access: PatientAccess) -> HttpResponse:
    unknown = search.unknown_params(request, {"_id"})
    if unknown:
        return _bad_search(f"Unknown search parameters: {', '.join(unknown)}.")
    wanted = _wanted_ids(request)
    matches = not wanted or str(access.patient.public_id) in wanted
    entries = [carin.patient_from_member(access.patient)] if matches else []
    _audit(access, action="phi.fhir.patient.viewed", count=len(entries), interaction="search")
    bundle = searchset(request, entries=entries, base_url=_base_url(), total=len(entries))
    return fhir_response(bundle)


# --- Coverage ------------------------------------------------------------------------------------


def _coverage(access: PatientAccess) -> dict[str, Any]:
    patient = access.patient
    subscriber = patient if patient.subscriber is None else patient.subscriber
    return carin.coverage_from_card(
        id_card_for(patient), today=clock.today(), subscriber_public_id=str(subscriber.public_id)
    )


@patient_access("Coverage", search_=False)
def coverage_read(request: HttpRequest, access: PatientAccess, resource_id: str) -> HttpResponse:
    if resource_id.strip().lower() != carin.coverage_id(access.patient):
        return not_found("Coverage")
    coverage = _coverage(access)
    _audit(access, action="phi.fhir.coverage.viewed", count=1, interaction="read")
    return fhir_response(coverage)


@patient_access("Coverage", search_=True)
def coverage_search(request: HttpRequest, access: PatientAccess) -> HttpResponse:
    unknown = search.unknown_params(request, {"_id", "patient", "beneficiary"})
    if unknown:
        return _bad_search(f"Unknown search parameters: {', '.join(unknown)}.")
    wanted = _wanted_ids(request)
    beneficiary_ok = all(
        _is_patient(access, search.reference_id(value, resource_type="Patient"))
        for value in request.GET.getlist("beneficiary")
    )
    matches = (
        _patient_param_matches(request, access)
        and beneficiary_ok
        and (not wanted or carin.coverage_id(access.patient) in wanted)
    )
    entries = [_coverage(access)] if matches else []
    _audit(access, action="phi.fhir.coverage.viewed", count=len(entries), interaction="search")
    bundle = searchset(request, entries=entries, base_url=_base_url(), total=len(entries))
    return fhir_response(bundle)


# --- ExplanationOfBenefit ------------------------------------------------------------------------


def _insurer(access: PatientAccess, claim: Claim) -> str:
    """The payer of the plan the claim was priced under, named as on an ID card: the plan's
    issuer, else the sponsor (no query: the plan comes with the claim, the client with the
    patient)."""
    return claim.plan.issuer_name or access.patient.client.name


@patient_access("ExplanationOfBenefit", search_=False)
def eob_read(request: HttpRequest, access: PatientAccess, resource_id: str) -> HttpResponse:
    try:
        claim_id = uuid.UUID(resource_id)
    except ValueError:
        return not_found("ExplanationOfBenefit")
    claim = find_patient_claim(patient=access.patient, public_id=claim_id)
    if claim is None:
        return not_found("ExplanationOfBenefit")
    _audit(access, action="phi.fhir.eob.viewed", count=1, interaction="read")
    return fhir_response(carin.eob_from_claim(claim, insurer=_insurer(access, claim)))


_EOB_PARAMS = {"_id", "patient", "_lastUpdated", "type", "service-date"}


def _claims_query(request: HttpRequest, access: PatientAccess) -> PatientClaimsQuery | None:
    """The search as a claims query; None when it can match nothing (another patient, another
    claim type, an id that is not one). Raises ``search.SearchError`` for a malformed value."""
    if not _patient_param_matches(request, access):
        return None
    for raw in request.GET.getlist("type"):
        codes = {value.rpartition("|")[2] for value in raw.split(",")}
        systems = {value.rpartition("|")[0] for value in raw.split(",") if "|" in value}
        if "pharmacy" not in codes or systems - {_CLAIM_TYPE_SYSTEM, ""}:
            return None
    claim_id = None
    wanted = _wanted_ids(request)
    if wanted:
        if len(set(wanted)) > 1:
            raise search.SearchError("_id: one claim id at a time.")
        try:
            claim_id = uuid.UUID(wanted[0])
        except ValueError:
            return None
    service = search.parse_date_params(request.GET.getlist("service-date"), name="service-date")
    updated = search.parse_date_params(request.GET.getlist("_lastUpdated"), name="_lastUpdated")
    return PatientClaimsQuery(
        service_from=service.start_date,
        service_before=service.before_date,
        updated_from=updated.start,
        updated_before=updated.before,
        claim_id=claim_id,
    )


@patient_access("ExplanationOfBenefit", search_=True)
def eob_search(request: HttpRequest, access: PatientAccess) -> HttpResponse:
    unknown = search.unknown_params(request, _EOB_PARAMS)
    if unknown:
        return _bad_search(f"Unknown search parameters: {', '.join(unknown)}.")
    try:
        query = _claims_query(request, access)
        count = search.parse_count(request)
        cursor = search.parse_cursor(request)
        if query is None:
            claims, has_next = [], False
        else:
            page = get_patient_claims_page(
                patient=access.patient, query=query, after=cursor, page_size=count
            )
            claims, has_next = page.claims, page.has_next
    except search.SearchError as error:
        return _bad_search(str(error))
    except InvalidCursor:
        return _bad_search("_cursor: that page link does not match this search.")
    entries = [carin.eob_from_claim(claim, insurer=_insurer(access, claim)) for claim in claims]
    _audit(access, action="phi.fhir.eob.viewed", count=len(entries), interaction="search")
    bundle = searchset(
        request,
        entries=entries,
        base_url=_base_url(),
        next_params=_next_query(request, last=claims[-1].public_id) if has_next else None,
    )
    return fhir_response(bundle)


def _next_query(request: HttpRequest, *, last: uuid.UUID) -> list[tuple[str, str]]:
    """The same search, from after the page's last claim."""
    pairs = [
        (key, value)
        for key, values in request.GET.lists()
        if key != search.CURSOR_PARAM
        for value in values
    ]
    return [*pairs, (search.CURSOR_PARAM, str(last))]


urlpatterns: list[URLPattern] = [
    path("Patient", patient_search, name="patient-search"),
    path("Patient/<str:resource_id>", patient_read, name="patient-read"),
    path("Coverage", coverage_search, name="coverage-search"),
    path("Coverage/<str:resource_id>", coverage_read, name="coverage-read"),
    path("ExplanationOfBenefit", eob_search, name="eob-search"),
    path("ExplanationOfBenefit/<str:resource_id>", eob_read, name="eob-read"),
]
