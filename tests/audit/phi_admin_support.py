"""Which back-office admins hold PHI, and one saved record of each (for the admin tests).

The lists are the classification the tests hold the code to: every registered ModelAdmin is in
exactly one of them, so a newly registered admin fails the suite until someone decides which it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db.models import Model

from rxportal.prescriptions.models import RefillRequest, RenewalRequest
from tests.factories import (
    AccumulatorFactory,
    ClaimFactory,
    MemberFactory,
    PrescriptionFactory,
    UserFactory,
)
from tests.members.factories import FamilyAccessGrantFactory
from tests.orders.factories import MailOrderFactory, ShippingAddressFactory
from tests.pricing.factories import PriceQuoteFactory

# Anything that holds a person's data: members and their health records, and the accounts
# (names, email addresses, second factors, sessions' IP addresses) of the people who sign in.
PHI_MODELS = frozenset(
    {
        "members.member",
        "members.familyaccessgrant",
        "prescriptions.prescription",
        "prescriptions.refillrequest",
        "prescriptions.renewalrequest",
        "claims.claim",
        "claims.accumulator",
        "orders.mailorder",
        "orders.shippingaddress",
        "pricing.pricequote",
        "accounts.user",
        "account.emailaddress",
        "mfa.authenticator",
        "usersessions.usersession",
    }
)

# Reference and configuration data: no person's data, staff keep using them.
REFERENCE_MODELS = frozenset(
    {
        "clients.client",
        "plans.plan",
        "formulary.drug",
        "formulary.formulary",
        "formulary.formularyentry",
        "pharmacies.pharmacy",
        "pharmacies.network",
        "pharmacies.zipcentroid",
        "auth.group",
    }
)

# The audit trail has its own rule (PBM staff with the view permission; every search recorded)
# and holds ids, never PHI.
AUDIT_TRAIL_MODELS = frozenset({"audit.auditevent"})


def _refill_request() -> RefillRequest:
    return RefillRequest.objects.create(
        member=MemberFactory(), idempotency_key=uuid.uuid4(), fulfilment="mail"
    )


def _renewal_request() -> RenewalRequest:
    return RenewalRequest.objects.create(
        prescription=PrescriptionFactory(), requested_by=UserFactory()
    )


def _email_address() -> EmailAddress:
    user = UserFactory()
    return EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


def _authenticator() -> Authenticator:
    return Authenticator.objects.create(
        user=UserFactory(), type=Authenticator.Type.TOTP, data={"secret": "not-a-real-secret"}
    )


def _user_session() -> UserSession:
    return UserSession.objects.create(
        user=UserFactory(), session_key=uuid.uuid4().hex, ip="203.0.113.5", user_agent="test"
    )


MAKERS: dict[str, Callable[[], Model]] = {
    "members.member": MemberFactory,
    "members.familyaccessgrant": FamilyAccessGrantFactory,
    "prescriptions.prescription": PrescriptionFactory,
    "prescriptions.refillrequest": _refill_request,
    "prescriptions.renewalrequest": _renewal_request,
    "claims.claim": ClaimFactory,
    "claims.accumulator": AccumulatorFactory,
    "orders.mailorder": MailOrderFactory,
    "orders.shippingaddress": ShippingAddressFactory,
    "pricing.pricequote": PriceQuoteFactory,
    "accounts.user": UserFactory,
    "account.emailaddress": _email_address,
    "mfa.authenticator": _authenticator,
    "usersessions.usersession": _user_session,
}


def make_record(label: str) -> Model:
    return MAKERS[label]()
