"""Patient, Coverage and ExplanationOfBenefit as the CARIN Blue Button IG 2.0.0 profiles them
(C4BB-Patient, C4BB-Coverage, C4BB-ExplanationOfBenefit-Pharmacy): pure functions from the
records the selectors read to plain dicts. No queries, no request, no translated text.

What the portal does not record is said so rather than guessed: a claim's refill number and
Dispense-As-Written code carry the ``data-absent-reason`` extension, a member's gender is
``unknown``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rxportal.claims.models import Claim
    from rxportal.members.models import Member
    from rxportal.web.selectors import IdCard

IG = "http://hl7.org/fhir/us/carin-bb"
PATIENT_PROFILE = f"{IG}/StructureDefinition/C4BB-Patient|2.0.0"
COVERAGE_PROFILE = f"{IG}/StructureDefinition/C4BB-Coverage|2.0.0"
EOB_PHARMACY_PROFILE = f"{IG}/StructureDefinition/C4BB-ExplanationOfBenefit-Pharmacy|2.0.0"

SUPPORTING_INFO_TYPE = f"{IG}/CodeSystem/C4BBSupportingInfoType"
C4BB_ADJUDICATION = f"{IG}/CodeSystem/C4BBAdjudication"
C4BB_ADJUDICATION_DISCRIMINATOR = f"{IG}/CodeSystem/C4BBAdjudicationDiscriminator"
C4BB_IDENTIFIER_TYPE = f"{IG}/CodeSystem/C4BBIdentifierType"
C4BB_RELATED_CLAIM = f"{IG}/CodeSystem/C4BBRelatedClaimRelationshipCodes"
HL7_ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
NDC = "http://hl7.org/fhir/sid/ndc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NPI = "http://hl7.org/fhir/sid/us-npi"
# Our own identifier namespaces: a member's card number, a claim's number.
MEMBER_ID_SYSTEM = "urn:rxportal:member-id"
CLAIM_ID_SYSTEM = "urn:rxportal:claim-number"

_RELATIONSHIPS = {"subscriber": "self", "spouse": "spouse", "child": "child", "other": "other"}
_UNKNOWN = [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]


def _meta(profile: str, updated: dt.datetime) -> dict[str, Any]:
    return {"lastUpdated": updated.isoformat(), "profile": [profile]}


def _amount(value: Decimal) -> dict[str, Any]:
    # JSON numbers: json cannot write Decimal, and two-place amounts round-trip through float.
    return {"value": float(value), "currency": "USD"}


def _coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _member_identifier(member: Member) -> dict[str, Any]:
    return {
        "type": _coding(V2_IDENTIFIER_TYPE, "MB", "Member Number"),
        "system": MEMBER_ID_SYSTEM,
        "value": f"{member.member_id}-{member.person_code}",
    }


def _organization(local_id: str, *, name: str, npi: str = "") -> dict[str, Any]:
    """A contained organization: the payer and the pharmacy have no resource of their own here."""
    organization: dict[str, Any] = {"resourceType": "Organization", "id": local_id, "active": True}
    if npi:
        organization["identifier"] = [{"system": NPI, "value": npi}]
    organization["name"] = name
    return organization


def _prescriber(name: str, npi: str) -> dict[str, Any]:
    """The prescriber as a contained Practitioner (the portal keeps a name and an NPI only)."""
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": "prescriber",
        "identifier": [{"system": NPI, "value": npi}],
    }
    if name:
        practitioner["name"] = [{"text": name}]
    return practitioner


# --- Patient -----------------------------------------------------------------------------------


def patient_from_member(member: Member) -> dict[str, Any]:
    telecom = []
    if member.phone:
        telecom.append({"system": "phone", "value": member.phone, "use": "home"})
    if member.email:
        telecom.append({"system": "email", "value": member.email})
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(member.public_id),
        "meta": _meta(PATIENT_PROFILE, member.updated_at),
        "identifier": [_member_identifier(member)],
        "active": True,
        "name": [{"family": member.last_name, "given": [member.first_name]}],
        # The eligibility file carries no gender; US Core requires one, and says so.
        "gender": "unknown",
        "birthDate": member.date_of_birth.isoformat(),
        "address": [
            {
                "use": "home",
                "line": [member.address_line] if member.address_line else [],
                "city": member.city,
                "state": member.state,
                "postalCode": member.zip_code,
                "country": "US",
            }
        ],
    }
    if telecom:
        patient["telecom"] = telecom
    if not patient["address"][0]["line"]:
        del patient["address"][0]["line"]
    return patient


# --- Coverage ----------------------------------------------------------------------------------


def coverage_id(member: Member) -> str:
    """One coverage per member (their card on their plan): it shares the member's public id."""
    return str(member.public_id)


def coverage_from_card(
    card: IdCard, *, today: dt.date, subscriber_public_id: str
) -> dict[str, Any]:
    member = card.member
    ended = card.coverage_end is not None and card.coverage_end < today
    period = {"start": card.coverage_start.isoformat()}
    if card.coverage_end is not None:
        period["end"] = card.coverage_end.isoformat()
    classes = [
        ("group", card.rx_group, card.plan_name),
        ("plan", card.plan.code, card.plan_name),
        ("rxbin", card.rx_bin, ""),
        ("rxpcn", card.rx_pcn, ""),
        ("rxgroup", card.rx_group, ""),
    ]
    relationship = _RELATIONSHIPS.get(member.relationship, "other")
    return {
        "resourceType": "Coverage",
        "id": coverage_id(member),
        "meta": _meta(COVERAGE_PROFILE, max(member.updated_at, card.plan.updated_at)),
        "contained": [_organization("payer", name=card.issuer)],
        "identifier": [_member_identifier(member)],
        "status": "cancelled" if ended else "active",
        "type": _coding(
            "http://terminology.hl7.org/CodeSystem/v3-ActCode", "DRUGPOL", "drug policy"
        ),
        "subscriber": {"reference": f"Patient/{subscriber_public_id}"},
        "subscriberId": card.member_id,
        "beneficiary": {"reference": f"Patient/{member.public_id}"},
        "dependent": card.person_code,
        "relationship": _coding(
            "http://terminology.hl7.org/CodeSystem/subscriber-relationship", relationship
        ),
        "period": period,
        "payor": [{"reference": "#payer", "display": card.issuer}],
        "class": [
            {
                "type": _coding("http://terminology.hl7.org/CodeSystem/coverage-class", kind),
                "value": value,
                **({"name": name} if name else {}),
            }
            for kind, value, name in classes
            if value
        ],
    }


# --- ExplanationOfBenefit (pharmacy) -----------------------------------------------------------


def _status_and_outcome(claim: Claim) -> tuple[str, str]:
    """A reversed claim and its reversal are cancelled; a rejected claim was processed and not
    accepted (``error``); a paid one is complete."""
    if claim.status == "reversed" or claim.reverses_id is not None:
        return "cancelled", "complete"
    if claim.status == "rejected":
        return "active", "error"
    return "active", "complete"


def _supporting_info(claim: Claim) -> list[dict[str, Any]]:
    def category(code: str) -> dict[str, Any]:
        return _coding(SUPPORTING_INFO_TYPE, code)

    info: list[dict[str, Any]] = [
        {"category": category("dayssupply"), "valueQuantity": {"value": claim.days_supply}},
        # Neither the fill number nor the DAW code is in the claims the portal receives.
        {"category": category("refillnum"), "valueQuantity": {"extension": _UNKNOWN}},
        {"category": category("dawcode"), "code": {"extension": _UNKNOWN}},
        {
            "category": category("brandgenericindicator"),
            "code": _coding(
                "http://terminology.hl7.org/CodeSystem/NCPDPBrandGenericIndicator",
                "1" if claim.drug.is_brand else "2",
            ),
        },
        {
            # Every drug the portal lists is an RxNorm product, never a compound: "1" (not one).
            "category": category("compoundcode"),
            "code": _coding("http://terminology.hl7.org/CodeSystem/NCPDPCompoundCode", "1"),
        },
    ]
    if claim.prescription is not None:
        info.append(
            {
                "category": category("refillsauthorized"),
                "valueQuantity": {"value": claim.prescription.refills_authorized},
            }
        )
    return [{"sequence": number, **item} for number, item in enumerate(info, start=1)]


def _product(claim: Claim) -> dict[str, Any]:
    drug = claim.drug
    if drug.ndc:
        coding = {"system": NDC, "code": drug.ndc, "display": drug.name}
    else:
        coding = {"system": RXNORM, "code": drug.rxcui, "display": drug.name}
    return {"coding": [coding], "text": drug.name}


def _adjudications(claim: Claim) -> list[dict[str, Any]]:
    """The claim's amounts by C4BB adjudication code (a rejected claim's are all zero)."""
    amounts = [
        (HL7_ADJUDICATION, "eligible", claim.total_cost),
        (HL7_ADJUDICATION, "deductible", claim.deductible_applied),
        (C4BB_ADJUDICATION, "paidtoprovider", claim.plan_paid),
        (C4BB_ADJUDICATION, "paidbypatient", claim.member_paid),
        (C4BB_ADJUDICATION, "memberliability", claim.member_paid),
    ]
    return [
        {"category": _coding(system, code), "amount": _amount(value)}
        for system, code, value in amounts
    ]


def _denial(claim: Claim) -> list[dict[str, Any]]:
    if claim.status != "rejected" or not claim.reject_code:
        return []
    return [
        {
            "category": _coding(C4BB_ADJUDICATION_DISCRIMINATOR, "denialreason"),
            "reason": _coding(
                "http://terminology.hl7.org/CodeSystem/NCPDPRejectCode", claim.reject_code
            ),
        }
    ]


def _claim_identifier(claim_number: str) -> dict[str, Any]:
    return {
        "type": _coding(C4BB_IDENTIFIER_TYPE, "uc", "Unique Claim ID"),
        "system": CLAIM_ID_SYSTEM,
        "value": claim_number,
    }


def _related(claim: Claim) -> list[dict[str, Any]]:
    """A reversal points at the claim it cancels (``prior``); a reversed claim at its reversal."""
    related = []
    if claim.reverses is not None:
        related.append(("prior", claim.reverses.claim_number))
    reversal = getattr(claim, "reversal", None) if claim.status == "reversed" else None
    if reversal is not None:
        related.append(("replacement", reversal.claim_number))
    return [
        {
            "claim": {"identifier": _claim_identifier(number)},
            "relationship": _coding(C4BB_RELATED_CLAIM, code),
        }
        for code, number in related
    ]


def eob_from_claim(claim: Claim, *, insurer: str) -> dict[str, Any]:
    """One claim as a C4BB pharmacy EOB. ``claim.member`` is the patient; ``insurer`` is the
    name on the patient's card (the plan's issuer, else the sponsor)."""
    status, outcome = _status_and_outcome(claim)
    pharmacy = claim.pharmacy
    contained = [_organization("insurer", name=insurer)]
    if pharmacy is not None:
        contained.append(_organization("pharmacy", name=pharmacy.name, npi=pharmacy.npi))
        provider: dict[str, Any] = {"reference": "#pharmacy", "display": pharmacy.name}
    else:
        provider = {"extension": _UNKNOWN}
    service_date = claim.service_date.isoformat()
    adjudication = _adjudications(claim)
    eob: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit",
        "id": str(claim.public_id),
        "meta": _meta(EOB_PHARMACY_PROFILE, claim.updated_at),
        "contained": contained,
        "identifier": [_claim_identifier(claim.claim_number)],
        "status": status,
        "type": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "pharmacy"}
            ],
            "text": "Pharmacy",
        },
        "use": "claim",
        "patient": {"reference": f"Patient/{claim.member.public_id}"},
        "billablePeriod": {"start": service_date, "end": service_date},
        "created": claim.created_at.isoformat(),
        "insurer": {"reference": "#insurer", "display": insurer},
        "provider": provider,
        "outcome": outcome,
        "supportingInfo": _supporting_info(claim),
        "insurance": [
            {"focal": True, "coverage": {"reference": f"Coverage/{coverage_id(claim.member)}"}}
        ],
        "item": [
            {
                "sequence": 1,
                "informationSequence": [1],
                "productOrService": _product(claim),
                "servicedDate": service_date,
                "quantity": {"value": float(claim.quantity)},
                "adjudication": adjudication + _denial(claim),
            }
        ],
        "total": [{"category": row["category"], "amount": row["amount"]} for row in adjudication],
    }
    prescription = claim.prescription
    if prescription is not None and prescription.prescriber_npi:
        contained.append(_prescriber(prescription.prescriber_name, prescription.prescriber_npi))
        eob["careTeam"] = [
            {
                "sequence": 1,
                "provider": {"reference": "#prescriber"},
                "role": _coding(f"{IG}/CodeSystem/C4BBClaimPharmacyTeamRole", "prescribing"),
            }
        ]
    related = _related(claim)
    if related:
        eob["related"] = related
    if status == "active" and outcome == "complete":
        eob["payment"] = {
            "type": _coding(
                "http://terminology.hl7.org/CodeSystem/ex-paymenttype", "complete", "Complete"
            ),
            "amount": _amount(claim.plan_paid),
        }
    return eob
