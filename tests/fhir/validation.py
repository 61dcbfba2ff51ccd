"""Checks for every FHIR resource the server emits.

``assert_valid(resource)``: the resource parses as its FHIR type with fhir.resources. The
installed fhir.resources (8.x) defaults to R5; its ``R4B`` subpackage is the closest to R4
(4.0.1) it ships, and the R4 resources served here (Patient, Coverage, ExplanationOfBenefit,
CapabilityStatement, Bundle, OperationOutcome, InsurancePlan, Location...) did not change
shape between R4 and R4B.

``missing_required(resource, required)``: the elements a profile requires (``REQUIRED`` lists,
dotted paths through lists) that the resource lacks; the CARIN Blue Button lists are below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class


def assert_valid(resource: Mapping[str, Any]) -> None:
    """Parse ``resource`` (and a Bundle's entries, as their own types); raise on any error."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(dict(resource))
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        assert_valid(entry["resource"])


def _values(node: Any, path: list[str]) -> list[Any]:
    if not path:
        return [node] if node not in (None, "", [], {}) else []
    if isinstance(node, list):
        return [value for item in node for value in _values(item, path)]
    if not isinstance(node, Mapping) or path[0] not in node:
        return []
    return _values(node[path[0]], path[1:])


def missing_required(resource: Mapping[str, Any], required: Iterable[str]) -> list[str]:
    return [path for path in required if not _values(resource, path.split("."))]


def codes_at(resource: Mapping[str, Any], path: str) -> set[str]:
    """Every ``coding.code`` under a dotted path (``supportingInfo.category``)."""
    return {
        coding["code"]
        for node in _values(resource, path.split("."))
        for coding in node.get("coding", [])
    }


# CARIN Blue Button 2.0.0 (C4BB-Patient, on US Core Patient 3.1.1): 1.. elements.
CARIN_PATIENT_REQUIRED = (
    "meta.lastUpdated",
    "meta.profile",
    "identifier",
    "identifier.type",
    "identifier.value",
    "name",
    "gender",
    "birthDate",
)

# C4BB-Coverage 2.0.0: 1.. and the must-support elements this server promises.
CARIN_COVERAGE_REQUIRED = (
    "meta.lastUpdated",
    "meta.profile",
    "status",
    "type",
    "subscriberId",
    "beneficiary",
    "relationship",
    "period",
    "payor",
    "class",
    "class.type",
    "class.value",
)

# C4BB-ExplanationOfBenefit-Pharmacy 2.0.0: 1.. elements (base EOB and the profile).
CARIN_EOB_PHARMACY_REQUIRED = (
    "meta.lastUpdated",
    "meta.profile",
    "identifier",
    "identifier.type",
    "identifier.value",
    "status",
    "type",
    "use",
    "patient",
    "billablePeriod",
    "created",
    "insurer",
    "provider",
    "outcome",
    "supportingInfo",
    "supportingInfo.sequence",
    "supportingInfo.category",
    "insurance",
    "insurance.focal",
    "insurance.coverage",
    "item",
    "item.sequence",
    "item.productOrService",
    "item.servicedDate",
    "item.adjudication",
    "item.adjudication.category",
    "total",
    "total.category",
    "total.amount",
)
# The profile's required supportingInfo slices (1..1 each), by C4BBSupportingInfoType code.
CARIN_EOB_PHARMACY_SUPPORTING_INFO = ("dayssupply", "dawcode", "refillnum")


def missing_from_carin_eob_pharmacy(eob: Mapping[str, Any]) -> list[str]:
    missing = missing_required(eob, CARIN_EOB_PHARMACY_REQUIRED)
    present = codes_at(eob, "supportingInfo.category")
    missing += [
        f"supportingInfo:{code}"
        for code in CARIN_EOB_PHARMACY_SUPPORTING_INFO
        if code not in present
    ]
    if "pharmacy" not in codes_at(eob, "type"):
        missing.append("type = pharmacy")
    if "uc" not in codes_at(eob, "identifier.type"):
        missing.append("identifier:uniqueclaimid")
    if not any("C4BB-ExplanationOfBenefit-Pharmacy|2.0.0" in p for p in eob["meta"]["profile"]):
        missing.append("meta.profile (canonical|2.0.0)")
    return missing
