"""Forgot password's own limits; they never feed (nor read) the sign-in lock-out.

Whoever knows a username can drive every counter keyed by it, so each limit here is built so that
the attacker cannot spend the owner's way back (a code in the owner's inbox):

1. **Per attempt** (``services.recovery``): a code dies after 5 wrong tries, and the attempt with
   it; wrong answers and second-factor codes end it after 3. A code belongs to its attempt
   (``codes.issue_bound_code``): another attempt's guesses never touch it, and starting another
   attempt does not replace it.
2. **Per name typed, over a day: 6-digit code checks** (``reserve_short_code_check``). Each
   attempt is cheap, so five guesses per attempt alone would let a patient attacker make
   thousands of one-in-a-million guesses a day. So a name's 6-digit codes are checked at most
   ``RXPORTAL_PASSWORD_RESET_CODE_CHECKS_PER_NAME`` times a day (known or unknown name alike).
   Past that, a 6-digit entry is refused unchecked, and every new code for that name is long
   (12 letters and digits, about 59 bits; ``code_checks_used_up``). Nobody can guess a long code,
   so it needs no daily limit: the owner, who reads the email, still gets in; the attacker, who
   does not, gains nothing by using up the checks. The count is per name *typed* (a username and
   an email address are two names): the page must look the same for an unknown name, so it
   cannot depend on which account a name belongs to.
3. **Per name and client address: asking for codes** (``request_quota_key``, allauth's
   ``rx_password_reset`` rate, 5 per 15 minutes). A quota per name alone would let anyone use up
   the owner's; keyed with the address (IPv4, or IPv6 /64) it only slows the one who asks. Each
   address also has its own cap on all names (``20/h/ip``). Left as is: someone with many
   addresses can still send the owner many reset emails (each one harmless, and with a long code
   once the checks are used up).
4. **Per account, over a day: wrong answers and second-factor codes**
   (``RXPORTAL_PASSWORD_RESET_ANSWER_FAILURES_PER_ACCOUNT``). Only someone who passed the code
   (who reads the owner's inbox) can reach these steps, so only they can use this up; the account
   is known by then, so it is counted per account whatever name was typed. When it is used up,
   resets of that account stop for up to a day, or until the service center helps.

Counters 2 and 4 live in the ``RateCounter`` table (not the cache, whose database backend neither
increments atomically nor keeps keys from being culled) as sliding-window estimates, keyed by
keyed digests (never a name or an address in clear). The 6-digit check is reserved before the
code is checked (a row-locked increment whose own count decides), so parallel requests cannot
overshoot the limit. Quota 3 is allauth's, in the cache.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest

from rxportal.accounts import domain
from rxportal.accounts.crypto import keyed_digest
from rxportal.accounts.models import User
from rxportal.accounts.services.lockout import (
    bump_window_counter,
    estimate_after_bump,
    estimate_window_count,
)
from rxportal.audit.services import client_ip

CODE_CHECKS_PURPOSE = "reset-code-checks"
ANSWER_FAILURES_PURPOSE = "reset-answer-failures"
REQUEST_QUOTA_PURPOSE = "reset-request-quota"
CODE_CHECKS_PREFIX = "rx:reset:code-checks:"
ANSWER_FAILURES_PREFIX = "rx:reset:answer-failures:"


def _window() -> int:
    return int(settings.RXPORTAL_PASSWORD_RESET_LIMIT_WINDOW_SECONDS)


def _code_checks_key(name: str) -> str:
    return CODE_CHECKS_PREFIX + keyed_digest(CODE_CHECKS_PURPOSE, name)[:32]


def _answer_failures_key(user: User) -> str:
    return ANSWER_FAILURES_PREFIX + keyed_digest(ANSWER_FAILURES_PURPOSE, str(user.public_id))[:32]


# --- 6-digit code checks per name typed -----------------------------------------------------


def code_checks_used_up(*, name: str, now: dt.datetime) -> bool:
    """True while ``name`` (normalized, as typed) has no 6-digit code checks left today."""
    limit = settings.RXPORTAL_PASSWORD_RESET_CODE_CHECKS_PER_NAME
    return estimate_window_count(_code_checks_key(name), window_seconds=_window(), now=now) >= limit


def reserve_short_code_check(*, name: str, now: dt.datetime) -> bool:
    """Take one of ``name``'s 6-digit code checks; False (and nothing checked) when none is left."""
    if code_checks_used_up(name=name, now=now):
        return False
    limit = settings.RXPORTAL_PASSWORD_RESET_CODE_CHECKS_PER_NAME
    estimate = estimate_after_bump(_code_checks_key(name), window_seconds=_window(), now=now)
    return estimate <= limit


# --- Wrong answers and second-factor codes per account ---------------------------------------


def answers_used_up(*, user: User, now: dt.datetime) -> bool:
    limit = settings.RXPORTAL_PASSWORD_RESET_ANSWER_FAILURES_PER_ACCOUNT
    estimate = estimate_window_count(_answer_failures_key(user), window_seconds=_window(), now=now)
    return estimate >= limit


def note_answer_failure(*, user: User, now: dt.datetime) -> bool:
    """Count one wrong answer or second-factor code; True when that used up the account's."""
    bump_window_counter(_answer_failures_key(user), window_seconds=_window(), now=now)
    return answers_used_up(user=user, now=now)


# --- Asking for codes -------------------------------------------------------------------------


def request_quota_key(*, name: str, request: HttpRequest) -> str:
    """The rate-limit key for asking for codes: the name typed *and* the client's address group,
    so requests from elsewhere never use up the owner's (a keyed digest: neither appears)."""
    group = domain.compute_ip_group(client_ip(request)) or "-"
    return keyed_digest(REQUEST_QUOTA_PURPOSE, f"{name}\n{group}")
