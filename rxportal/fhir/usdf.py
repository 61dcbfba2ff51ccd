"""Da Vinci US Drug Formulary (STU 2.0.1) resources built from the published formulary facts:
InsurancePlan (usdf-PayerInsurancePlan, usdf-Formulary), Basic (usdf-FormularyItem) and
MedicationKnowledge (usdf-FormularyDrug). Plain dicts; the tests check them with fhir.resources
and against each profile's required elements.

Ids are the portal's stable public codes: a plan's code, a formulary's code, the RxNorm code,
and ``<formulary code>-<RxNorm code>`` for an item.
"""

from __future__ import annotations

from typing import Any

from rxportal.formulary.published import PublishedDrug, PublishedFormulary, PublishedItem
from rxportal.plans.published import PublishedPlan

USDF = "http://hl7.org/fhir/us/davinci-drug-formulary"
PLAN_NET = "http://hl7.org/fhir/us/davinci-pdex-plan-net"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PLAN_TYPE = "http://terminology.hl7.org/CodeSystem/insurance-plan-type"
PRODUCT_TYPE = f"{PLAN_NET}/CodeSystem/InsuranceProductTypeCS"
# STU 2.0.1 publishes these two code systems under a provisional ("TEMPORARY-TRIAL-USE") URL.
DRUG_TIER = f"{USDF}/CodeSystem/usdf-DrugTierCS-TEMPORARY-TRIAL-USE"
BENEFIT_TYPE = f"{USDF}/CodeSystem/usdf-PharmacyBenefitTypeCS-TEMPORARY-TRIAL-USE"
ITEM_TYPE = f"{USDF}/CodeSystem/usdf-InsuranceItemTypeCS"

PAYER_PLAN_PROFILE = f"{USDF}/StructureDefinition/usdf-PayerInsurancePlan"
FORMULARY_PROFILE = f"{USDF}/StructureDefinition/usdf-Formulary"
ITEM_PROFILE = f"{USDF}/StructureDefinition/usdf-FormularyItem"
DRUG_PROFILE = f"{USDF}/StructureDefinition/usdf-FormularyDrug"

_EXTENSION = f"{USDF}/StructureDefinition/usdf-"
FORMULARY_TYPE_CODE = "DRUGPOL"
# plans.PlanKind → Plan-Net insurance product type.
PRODUCT_TYPE_BY_KIND = {"commercial": "qhp", "medicare_part_d": "medid"}
_PRODUCT_TYPE_DISPLAY = {"qhp": "Qualified Health Plan", "medid": "Medicare Part D"}
_TIER_DISPLAY = {
    "generic": "Generic",
    "preferred-generic": "Preferred Generic",
    "preferred-brand": "Preferred Brand",
    "non-preferred-brand": "Non-Preferred Brand",
    "specialty": "Specialty",
    "zero-cost-share-preventative": "Zero Cost Share Preventative",
    "medical-service": "Medical Service",
}
_BENEFIT_DISPLAY = {
    "1-month-in-retail": "1 month in network retail",
    "3-month-in-retail": "3 month in network retail",
    "3-month-in-mail": "3 month in network mail order",
}


def formulary_id(formulary: PublishedFormulary) -> str:
    return formulary.code


def item_id(item: PublishedItem) -> str:
    return f"{item.formulary.code}-{item.drug.rxcui}"


def split_item_id(resource_id: str) -> tuple[str, str] | None:
    """(formulary code, RxNorm code) of an item id, None when it cannot be one."""
    formulary_code, _, rxcui = resource_id.rpartition("-")
    if not formulary_code or not rxcui.isdigit():
        return None
    return formulary_code, rxcui


def _period(plan_year: int) -> dict[str, str]:
    return {"start": f"{plan_year}-01-01", "end": f"{plan_year}-12-31"}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def formulary_plan(formulary: PublishedFormulary) -> dict[str, Any]:
    return {
        "resourceType": "InsurancePlan",
        "id": formulary_id(formulary),
        "meta": {"profile": [FORMULARY_PROFILE]},
        "identifier": [{"value": formulary.code}],
        "status": "active",
        "type": [_coding(ACT_CODE, FORMULARY_TYPE_CODE, "drug policy")],
        "name": formulary.name,
        "period": _period(formulary.plan_year),
    }


def payer_plan(plan: PublishedPlan) -> dict[str, Any]:
    product_type = PRODUCT_TYPE_BY_KIND.get(plan.kind, "qhp")
    drug = _coding(PLAN_TYPE, "drug", "Drug")
    resource: dict[str, Any] = {
        "resourceType": "InsurancePlan",
        "id": plan.code,
        "meta": {"profile": [PAYER_PLAN_PROFILE]},
        "identifier": [{"value": plan.code}],
        "status": "active",
        "type": [_coding(PRODUCT_TYPE, product_type, _PRODUCT_TYPE_DISPLAY[product_type])],
        "name": plan.name,
        "period": _period(plan.plan_year),
        "coverage": [
            {
                "extension": [
                    {
                        "url": f"{_EXTENSION}FormularyReference-extension",
                        "valueReference": {"reference": f"InsurancePlan/{plan.formulary_code}"},
                    }
                ],
                "type": _coding(ACT_CODE, FORMULARY_TYPE_CODE, "drug policy"),
                "benefit": [{"type": drug}],
            }
        ],
        "plan": [{"type": drug}],
        # Which pharmacies the plan's members fill at: the Plan-Net network.
        "network": [{"reference": f"Organization/{plan.network_public_id}"}],
    }
    if plan.issuer_name:
        resource["ownedBy"] = {"display": plan.issuer_name}
    return resource


def formulary_drug(drug: PublishedDrug) -> dict[str, Any]:
    return {
        "resourceType": "MedicationKnowledge",
        "id": drug.rxcui,
        "meta": {"profile": [DRUG_PROFILE]},
        "code": _coding(RXNORM, drug.rxcui, drug.name),
        "status": "active",
    }


def benefit_types(item: PublishedItem) -> list[str]:
    """Where the drug is covered: every formulary drug at a network retail pharmacy for one or
    three months, and by mail (three months) where the entry allows mail order."""
    kinds = ["1-month-in-retail", "3-month-in-retail"]
    if item.mail_eligible:
        kinds.append("3-month-in-mail")
    return kinds


def formulary_item(item: PublishedItem) -> dict[str, Any]:
    def extension(name: str, **value: Any) -> dict[str, Any]:
        return {"url": f"{_EXTENSION}{name}-extension", **value}

    extensions = [
        extension(
            "FormularyReference",
            valueReference={"reference": f"InsurancePlan/{formulary_id(item.formulary)}"},
        ),
        extension("AvailabilityStatus", valueCode="active"),
        *(
            extension(
                "PharmacyBenefitType",
                valueCodeableConcept=_coding(BENEFIT_TYPE, kind, _BENEFIT_DISPLAY[kind]),
            )
            for kind in benefit_types(item)
        ),
        extension(
            "DrugTierID",
            valueCodeableConcept=_coding(DRUG_TIER, item.tier, _TIER_DISPLAY.get(item.tier)),
        ),
        extension("AvailabilityPeriod", valuePeriod=_period(item.formulary.plan_year)),
        extension("PriorAuthorization", valueBoolean=item.prior_authorization),
        extension("StepTherapyLimit", valueBoolean=item.step_therapy),
        extension("QuantityLimit", valueBoolean=item.quantity_limit),
    ]
    return {
        "resourceType": "Basic",
        "id": item_id(item),
        "meta": {"profile": [ITEM_PROFILE]},
        "extension": extensions,
        "code": _coding(ITEM_TYPE, "formulary-item", "Formulary Item"),
        "subject": {"reference": f"MedicationKnowledge/{item.drug.rxcui}"},
    }
