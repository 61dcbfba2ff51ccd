"""Da Vinci Plan-Net resources for the pharmacy directory, built from the published directory:
a pharmacy is an Organization (plannet-Organization), a Location (plannet-Location) and a
HealthcareService (plannet-HealthcareService, category pharmacy), all three with the
pharmacy's public id; each network is an Organization (plannet-Network) with its public id,
part of the PBM's own payer Organization.
"""

from __future__ import annotations

from typing import Any

from rxportal.pharmacies.published import PublishedNetwork, PublishedPharmacy

PLAN_NET = "http://hl7.org/fhir/us/davinci-pdex-plan-net"
ORGANIZATION_PROFILE = f"{PLAN_NET}/StructureDefinition/plannet-Organization"
NETWORK_PROFILE = f"{PLAN_NET}/StructureDefinition/plannet-Network"
LOCATION_PROFILE = f"{PLAN_NET}/StructureDefinition/plannet-Location"
SERVICE_PROFILE = f"{PLAN_NET}/StructureDefinition/plannet-HealthcareService"
ORG_TYPE = f"{PLAN_NET}/CodeSystem/OrgTypeCS"
SERVICE_CATEGORY = f"{PLAN_NET}/CodeSystem/HealthcareServiceCategoryCS"
ACCEPTING_PATIENTS = f"{PLAN_NET}/CodeSystem/AcceptingPatientsCS"
NEW_PATIENTS = f"{PLAN_NET}/StructureDefinition/newpatients"
NPI = "http://hl7.org/fhir/sid/us-npi"
NUCC = "http://nucc.org/provider-taxonomy"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"

# The PBM itself: the payer the networks belong to (plannet-Network needs a partOf).
PAYER_ID = "rxportal"
PAYER_NAME = "RxPortal"
NETWORK_TYPE = "ntwk"
PHARMACY_TYPE = "prvgrp"  # as the Plan-Net pharmacy examples type a pharmacy organization
PAYER_TYPE = "payer"
_ORG_TYPE_DISPLAY = {NETWORK_TYPE: "Network", PHARMACY_TYPE: "Provider Group", PAYER_TYPE: "Payer"}
# NUCC pharmacy taxonomy codes by the directory's kinds.
_SPECIALTIES = (
    ("is_retail", "3336C0003X", "Community/Retail Pharmacy"),
    ("is_mail", "3336M0002X", "Mail Order Pharmacy"),
    ("is_specialty", "3336S0011X", "Specialty Pharmacy"),
)
_ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _org_type(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": ORG_TYPE, "code": code, "display": _ORG_TYPE_DISPLAY[code]}]}]


def payer_organization() -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": PAYER_ID,
        "meta": {"profile": [ORGANIZATION_PROFILE]},
        "active": True,
        "type": _org_type(PAYER_TYPE),
        "name": PAYER_NAME,
    }


def network_organization(network: PublishedNetwork) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": str(network.public_id),
        "meta": {"profile": [NETWORK_PROFILE]},
        "identifier": [{"value": network.code}],
        "active": True,
        "type": _org_type(NETWORK_TYPE),
        "name": network.name,
        "partOf": {"reference": f"Organization/{PAYER_ID}"},
    }


def _telecom(pharmacy: PublishedPharmacy) -> list[dict[str, Any]]:
    return [{"system": "phone", "value": pharmacy.phone}] if pharmacy.phone else []


def _address(pharmacy: PublishedPharmacy) -> dict[str, Any]:
    address: dict[str, Any] = {
        "city": pharmacy.city,
        "state": pharmacy.state,
        "postalCode": pharmacy.zip_code,
        "country": "US",
    }
    if pharmacy.address_line:
        address = {"line": [pharmacy.address_line], **address}
    return address


def pharmacy_organization(pharmacy: PublishedPharmacy) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(pharmacy.public_id),
        "meta": {"profile": [ORGANIZATION_PROFILE]},
        "active": True,
        "type": _org_type(PHARMACY_TYPE),
        "name": pharmacy.name,
        "address": [_address(pharmacy)],
    }
    if pharmacy.npi:
        resource["identifier"] = [{"system": NPI, "value": pharmacy.npi}]
    if telecom := _telecom(pharmacy):
        resource["telecom"] = telecom
    return resource


def pharmacy_location(pharmacy: PublishedPharmacy) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(pharmacy.public_id),
        "meta": {"profile": [LOCATION_PROFILE]},
        "status": "active",
        "name": pharmacy.name,
        "type": [
            {
                "coding": [
                    {"system": ROLE_CODE, "code": "OUTPHARM", "display": "outpatient pharmacy"}
                ]
            }
        ],
        "address": _address(pharmacy),
        "managingOrganization": {"reference": f"Organization/{pharmacy.public_id}"},
    }
    if telecom := _telecom(pharmacy):
        resource["telecom"] = telecom
    if pharmacy.latitude is not None and pharmacy.longitude is not None:
        resource["position"] = {"latitude": pharmacy.latitude, "longitude": pharmacy.longitude}
    if pharmacy.is_24_hours:
        resource["hoursOfOperation"] = [{"daysOfWeek": _ALL_DAYS, "allDay": True}]
    elif pharmacy.hours:
        # The directory keeps opening hours as free text: said as it is, never guessed into
        # structured times.
        resource["availabilityExceptions"] = pharmacy.hours
    return resource


def pharmacy_service(pharmacy: PublishedPharmacy) -> dict[str, Any]:
    specialties = [
        {"coding": [{"system": NUCC, "code": code, "display": display}]}
        for flag, code, display in _SPECIALTIES
        if getattr(pharmacy, flag)
    ]
    resource: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": str(pharmacy.public_id),
        "meta": {"profile": [SERVICE_PROFILE]},
        "active": True,
        "providedBy": {"reference": f"Organization/{pharmacy.public_id}"},
        "category": [
            {"coding": [{"system": SERVICE_CATEGORY, "code": "pharm", "display": "Pharmacy"}]}
        ],
        "location": [{"reference": f"Location/{pharmacy.public_id}"}],
        "name": pharmacy.name,
    }
    if specialties:
        resource["specialty"] = specialties
    if telecom := _telecom(pharmacy):
        resource["telecom"] = telecom
    # Plan-Net ties a service to a network through newpatients.fromNetwork: a network pharmacy
    # serves every member of the network's plans.
    networks = [
        {
            "url": NEW_PATIENTS,
            "extension": [
                {
                    "url": "acceptingPatients",
                    "valueCodeableConcept": {
                        "coding": [{"system": ACCEPTING_PATIENTS, "code": "yes"}]
                    },
                },
                {
                    "url": "fromNetwork",
                    "valueReference": {"reference": f"Organization/{network.public_id}"},
                },
            ],
        }
        for network in pharmacy.networks
    ]
    if networks:
        resource["extension"] = networks
    return resource
