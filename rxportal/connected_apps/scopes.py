"""The scopes an app may ask for, and what each lets it read or do.

SMART App Launch scopes in both versions: v1 ``patient/<Type>.read`` and v2 ``patient/<Type>.rs``
(r = read one, s = search), with ``*`` for every type. The JSON API's reads map to the FHIR
resource type holding the same facts (``API_RESOURCE_TYPES``); its writes need a scope of their own.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext


def gettext_noop(message: str) -> str:
    """Marks a string for the catalogue without translating it. Django's own ``gettext_noop``
    reads settings, and the settings import this module: this one, by the same name (which is
    what makemessages looks for), does nothing at all."""
    return message


# What the consent screen says of each scope. Plain English strings marked for translation
# (settings.OAUTH2_PROVIDER["SCOPES"] takes them as they are); pages say them through
# ``describe_scopes``, in the reader's language.
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "openid": gettext_noop("Confirm who you are"),
    "fhirUser": gettext_noop("Know which plan member you are"),
    "launch/patient": gettext_noop("Open the records of the member you choose when the app starts"),
    "offline_access": gettext_noop("Stay connected while you are not using the app"),
    "patient/*.read": gettext_noop(
        "Read your plan records: profile, coverage, claims, prescriptions and orders"
    ),
    "patient/*.rs": gettext_noop(
        "Read your plan records: profile, coverage, claims, prescriptions and orders"
    ),
    "patient/Patient.read": gettext_noop("Read your profile: name, date of birth, member ID"),
    "patient/Patient.rs": gettext_noop("Read your profile: name, date of birth, member ID"),
    "patient/Coverage.read": gettext_noop("Read your coverage: plan, ID card, benefits"),
    "patient/Coverage.rs": gettext_noop("Read your coverage: plan, ID card, benefits"),
    "patient/ExplanationOfBenefit.read": gettext_noop("Read your pharmacy claims"),
    "patient/ExplanationOfBenefit.rs": gettext_noop("Read your pharmacy claims"),
    "patient/MedicationRequest.read": gettext_noop("Read your prescriptions"),
    "patient/MedicationRequest.rs": gettext_noop("Read your prescriptions"),
    "patient/MedicationDispense.read": gettext_noop("Read your mail orders"),
    "patient/MedicationDispense.rs": gettext_noop("Read your mail orders"),
    "patient/Communication.read": gettext_noop("Read your messages from the plan"),
    "patient/Communication.rs": gettext_noop("Read your messages from the plan"),
    "refills.write": gettext_noop("Ask for refills and change automatic refills"),
    "notifications.write": gettext_noop("Change your notification settings and mark messages read"),
    "quotes.write": gettext_noop("Save price quotes of what a fill would cost"),
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

# What an app may ask for beyond the scopes above: every scope has a description.
LAUNCH_PATIENT = "launch/patient"
OFFLINE_ACCESS = "offline_access"
OPENID = "openid"
FHIR_USER = "fhirUser"

REFILLS_WRITE = "refills.write"
NOTIFICATIONS_WRITE = "notifications.write"
QUOTES_WRITE = "quotes.write"


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


def describe_scopes(scopes: Iterable[str]) -> list[str]:
    """What each scope lets an app do, in the active language, without repeating a sentence
    (``patient/*.read`` and ``patient/*.rs`` read alike); unknown scopes are left out."""
    seen: list[str] = []
    for scope in scopes:
        english = SCOPE_DESCRIPTIONS.get(scope)
        if english is None:
            continue
        said = gettext(english)
        if said not in seen:
            seen.append(said)
    return seen
