"""The registration journey's first step, before allauth's signup page (``account_signup``).

1. Members prove they are a plan member: member id, names, date of birth and ZIP must match one
   eligibility record (``check_member_eligibility``). A failed match has one answer, whichever
   field was wrong, and counts against the ``rx_eligibility`` rate limit (per address, and per
   member id as a keyed digest); a match moves on the same way whether or not the record already
   has an account. Clients and advisors give their name, organization and role instead
   (``services.registration.start_business_registration``, one call: no flow rule).
2. Both leave a small note in the session (``services.registration``); the account step is
   allauth's signup page with ``forms.registration.RegistrationSignupForm``, then allauth's email
   code page, then, for members, the second-factor enrolment ``MfaEnrolmentGateMiddleware`` asks.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from allauth.core import ratelimit
from django.http import HttpRequest

from rxportal.accounts.services import registration


class EligibilityOutcome(StrEnum):
    MATCHED = "matched"
    NO_MATCH = "no_match"
    RATE_LIMITED = "rate_limited"  # too many failed matches: nothing was looked up


def check_member_eligibility(
    *,
    request: HttpRequest,
    member_id: str,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    zip_code: str,
    now: dt.datetime,
) -> EligibilityOutcome:
    key = registration.eligibility_rate_key(member_id)
    action = registration.ELIGIBILITY_RATE_ACTION
    # Only failed matches use the quota: checked first, spent after a miss.
    if not ratelimit.consume(request, action=action, key=key, dry_run=True):
        return EligibilityOutcome.RATE_LIMITED
    matched = registration.verify_eligibility(
        request=request,
        member_id=member_id,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        zip_code=zip_code,
        now=now,
    )
    if matched:
        return EligibilityOutcome.MATCHED
    ratelimit.consume(request, action=action, key=key)
    return EligibilityOutcome.NO_MATCH
