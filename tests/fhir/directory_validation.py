"""Checks for the public formulary and directory resources: each one parses as its FHIR model
(fhir.resources' R4B models; the resources used here are the same in R4) and carries the
elements its profile requires (cardinality 1..* or must-support the server always fills)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class

USDF = "http://hl7.org/fhir/us/davinci-drug-formulary/StructureDefinition/"
PLAN_NET = "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/"

# Profile → element paths that must be present and non-empty ("a.b": b of every a).
REQUIRED_ELEMENTS: dict[str, tuple[str, ...]] = {
    f"{USDF}usdf-PayerInsurancePlan": (
        "identifier", "status", "type", "name", "period", "coverage", "coverage.type",
        "coverage.benefit", "coverage.benefit.type", "coverage.extension", "plan", "plan.type",
    ),
    f"{USDF}usdf-Formulary": ("identifier", "status", "type", "name", "period"),
    f"{USDF}usdf-FormularyItem": ("extension", "code", "subject"),
    f"{USDF}usdf-FormularyDrug": ("code", "code.coding", "status"),
    f"{PLAN_NET}plannet-Organization": ("active", "type", "name"),
    f"{PLAN_NET}plannet-Network": ("active", "type", "name", "partOf"),
    f"{PLAN_NET}plannet-Location": ("status", "name", "address", "managingOrganization"),
    f"{PLAN_NET}plannet-HealthcareService": (
        "active", "category", "providedBy", "location", "name",
    ),
}  # fmt: skip

# Profile → extensions (by the end of their URL) that must appear, with how many at least.
REQUIRED_EXTENSIONS: dict[str, dict[str, int]] = {
    f"{USDF}usdf-FormularyItem": {
        "usdf-FormularyReference-extension": 1,
        "usdf-AvailabilityStatus-extension": 1,
        "usdf-PharmacyBenefitType-extension": 1,
        "usdf-DrugTierID-extension": 1,
    },
    f"{USDF}usdf-PayerInsurancePlan": {"usdf-FormularyReference-extension": 1},
}
FIXED_VALUES: dict[str, dict[str, Any]] = {
    f"{PLAN_NET}plannet-Organization": {"active": True},
    f"{PLAN_NET}plannet-Network": {"active": True},
    f"{PLAN_NET}plannet-HealthcareService": {"active": True},
}


def _values(node: Any, path: list[str]) -> list[Any]:
    if not path:
        return [node]
    nodes = node if isinstance(node, list) else [node]
    found = []
    for item in nodes:
        if isinstance(item, dict) and path[0] in item:
            value = item[path[0]]
            for child in value if isinstance(value, list) else [value]:
                found += _values(child, path[1:])
    return found


def _all_extension_urls(node: Any) -> list[str]:
    urls = []
    if isinstance(node, dict):
        for extension in node.get("extension", []):
            urls.append(extension["url"])
        for value in node.values():
            urls += _all_extension_urls(value)
    elif isinstance(node, list):
        for item in node:
            urls += _all_extension_urls(item)
    return urls


def assert_valid_public_resource(resource: dict[str, Any]) -> None:
    """The resource parses as FHIR and meets its declared profile's required elements."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    profiles = resource.get("meta", {}).get("profile", [])
    assert len(profiles) == 1, f"{resource['resourceType']}/{resource['id']} declares no profile"
    profile = profiles[0]
    assert profile in REQUIRED_ELEMENTS, profile
    for path in REQUIRED_ELEMENTS[profile]:
        values = _values(resource, path.split("."))
        assert values and all(v not in (None, "", [], {}) for v in values), (
            f"{profile}: {resource['id']} lacks {path}"
        )
    urls = _all_extension_urls(resource)
    for suffix, least in REQUIRED_EXTENSIONS.get(profile, {}).items():
        assert sum(url.endswith(suffix) for url in urls) >= least, f"{profile}: no {suffix}"
    for element, value in FIXED_VALUES.get(profile, {}).items():
        assert resource[element] == value


def assert_valid_bundle(bundle: dict[str, Any]) -> None:
    get_fhir_model_class("Bundle").model_validate(bundle)
    assert bundle["type"] == "searchset"
    for entry in bundle["entry"]:
        assert_valid_public_resource(entry["resource"])
