"""The scopes an app may ask for, and what each lets it read or do.

SMART App Launch scopes in both versions: v1 ``patient/<Type>.read`` and v2 ``patient/<Type>.rs``
(r = read one, s = search), with ``*`` for every type. The JSON API's reads map to the FHIR
resource type holding the same facts (``API_RESOURCE_TYPES``); its writes need a scope of their own.
"""

from __future__ import annotations

from collections.abc import Iterable

# What the consent screen says of each scope (settings.OAUTH2_PROVIDER["SCOPES"] takes these).
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "openid": "Confirm who you are",
    "fhirUser": "Know which plan member you are",
    "launch/patient": "Open the records of the member you are when the app starts",
    "offline_access": "Stay connected while you are not using the app",
    "patient/*.read": "Read your plan records: profile, coverage, claims, prescriptions and orders",
    "patient/*.rs": "Read your plan records: profile, coverage, claims, prescriptions and orders",
    "patient/Patient.read": "Read your profile: name, date of birth, member ID",
    "patient/Patient.rs": "Read your profile: name, date of birth, member ID",
    "patient/Coverage.read": "Read your coverage: plan, ID card, benefits",
    "patient/Coverage.rs": "Read your coverage: plan, ID card, benefits",
    "patient/ExplanationOfBenefit.read": "Read your pharmacy claims",
    "patient/ExplanationOfBenefit.rs": "Read your pharmacy claims",
    "patient/MedicationRequest.read": "Read your prescriptions",
    "patient/MedicationRequest.rs": "Read your prescriptions",
    "patient/MedicationDispense.read": "Read your mail orders",
    "patient/MedicationDispense.rs": "Read your mail orders",
    "patient/Communication.read": "Read your messages from the plan",
    "patient/Communication.rs": "Read your messages from the plan",
    "refills.write": "Ask for refills and change automatic refills",
    "notifications.write": "Change your notification settings and mark messages read",
}

# The JSON API's read endpoints, by the FHIR type whose read scope they need.
API_RESOURCE_TYPES = (
    "Patient",
    "Coverage",
    "ExplanationOfBenefit",
    "MedicationRequest",
    "MedicationDispense",
    "Communication",
)

REFILLS_WRITE = "refills.write"
NOTIFICATIONS_WRITE = "notifications.write"


def allows_read(scopes: Iterable[str], resource_type: str, *, search: bool = False) -> bool:
    """Whether these granted scopes let an app read (or, with ``search``, search) a type.

    v1 ``.read`` and ``.*`` allow both; v2 permissions are letters in the order c r u d s, and
    reading needs ``r``, searching ``s``. Only ``patient/`` scopes count: ``user/`` and ``system/``
    are not offered here.
    """
    needed = "s" if search else "r"
    for scope in scopes:
        context, _, rest = scope.partition("/")
        if context != "patient" or "." not in rest:
            continue
        granted_type, _, permissions = rest.partition(".")
        if granted_type not in ("*", resource_type):
            continue
        if permissions in ("read", "*"):
            return True
        if _is_v2_permissions(permissions) and needed in permissions:
            return True
    return False


def _is_v2_permissions(permissions: str) -> bool:
    order = "cruds"
    positions = [order.find(letter) for letter in permissions]
    return bool(permissions) and -1 not in positions and positions == sorted(set(positions))
