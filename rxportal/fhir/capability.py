"""The server's CapabilityStatement (``/fhir/R4/metadata``), built from what each FHIR module
says it serves (its ``CAPABILITIES``), and the answer for a resource type nobody serves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt

from rxportal.core import clock
from rxportal.fhir import directory, formulary, patient_access
from rxportal.fhir.http import fhir_response, operation_outcome, wants_unsupported_format

SMART_OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
IMPLEMENTATION_GUIDES = [
    "http://hl7.org/fhir/us/carin-bb/ImplementationGuide/hl7.fhir.us.carin-bb|2.0.0",
    "http://hl7.org/fhir/us/davinci-drug-formulary/ImplementationGuide/hl7.fhir.us.davinci-drug-formulary",
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/ImplementationGuide/hl7.fhir.us.davinci-pdex-plan-net",
]
# How long a client may keep the statement: it changes only with a deployment.
METADATA_MAX_AGE = 300


def registered_capabilities() -> list[Mapping[str, Any]]:
    return [
        *patient_access.CAPABILITIES,
        *formulary.CAPABILITIES,
        *directory.CAPABILITIES,
    ]


def _resource(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One ``rest.resource``: the module's entry, with the statement's fixed keys in FHIR order."""
    resource: dict[str, Any] = {"type": entry["type"]}
    if entry.get("profile"):
        resource["profile"] = entry["profile"]
    if entry.get("supportedProfile"):
        resource["supportedProfile"] = list(entry["supportedProfile"])
    resource["interaction"] = list(entry.get("interaction") or [{"code": "read"}])
    resource["versioning"] = "no-version"
    resource["readHistory"] = False
    resource["updateCreate"] = False
    for key in ("searchInclude", "searchRevInclude", "searchParam"):
        if entry.get(key):
            resource[key] = list(entry[key])
    return resource


def build_capability_statement(
    *, base_url: str, capabilities: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    oauth_uris = [
        ("authorize", reverse("oauth2_provider:authorize")),
        ("token", reverse("oauth2_provider:token")),
        ("revoke", reverse("oauth2_provider:revoke-token")),
    ]
    return {
        "resourceType": "CapabilityStatement",
        "id": "rxportal",
        "status": "active",
        "date": clock.now().isoformat(timespec="seconds"),
        "publisher": "rxportal",
        "kind": "instance",
        "software": {"name": "rxportal"},
        "implementation": {
            "description": "rxportal FHIR R4: Patient Access, formulary and pharmacy directory",
            "url": f"{base_url}/fhir/R4",
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "implementationGuide": IMPLEMENTATION_GUIDES,
        "rest": [
            {
                "mode": "server",
                "security": {
                    "extension": [
                        {
                            "url": SMART_OAUTH_URIS,
                            "extension": [
                                {"url": name, "valueUri": f"{base_url}{url}"}
                                for name, url in oauth_uris
                            ],
                        }
                    ],
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ],
                            "text": "OAuth 2.0 with SMART App Launch scopes",
                        }
                    ],
                    "description": "Patient, Coverage and ExplanationOfBenefit need a SMART "
                    "access token; the formulary and the pharmacy directory are public.",
                },
                "resource": [_resource(entry) for entry in capabilities],
            }
        ],
    }


@csrf_exempt
def metadata(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = operation_outcome(405, code="not-supported", diagnostics="Read by GET only.")
        response["Allow"] = "GET, HEAD"
        return response
    if wants_unsupported_format(request):
        return operation_outcome(
            406, code="not-supported", diagnostics="Only application/fhir+json is served."
        )
    statement = build_capability_statement(
        base_url=str(settings.RXPORTAL_BASE_URL).rstrip("/"),
        capabilities=registered_capabilities(),
    )
    response = fhir_response(statement)
    patch_cache_control(response, public=True, max_age=METADATA_MAX_AGE)
    return response


@csrf_exempt
def unknown_resource(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything under /fhir/R4/ that no module serves: FHIR's 404, never the HTML page."""
    resource_type = rest.split("/", 1)[0]
    diagnostics = (
        f"This server does not serve {resource_type!r}; see /fhir/R4/metadata."
        if resource_type
        else "Name a resource type; see /fhir/R4/metadata."
    )
    return operation_outcome(404, code="not-supported", diagnostics=diagnostics)
