"""Account recovery: forgot password and forgot username.

Forgot password is a short flow of our own (not allauth's reset-by-code, which keeps the code in
clear in the session and knows no extra steps):

1. ``start_password_reset``: a username *or* an email. Whether or not it names an account, the
   person gets the same answer and the same code page. For an account, a 6-digit code
   (``services.codes``: keyed digest in the database, 10 minutes, single use, 5 tries, bound to
   this attempt) goes to the email on file and, when confirmed, the text-message phone; a long
   code (12 letters and digits) instead once the name's 6-digit checks for the day are used up
   (``services.recovery_limits``). For no account the same lookups and hashing happen and
   nothing is sent.
2. ``verify_reset_code``: the code. Nothing else can be answered before it.
3. ``check_reset_answer``: one of the user's challenge questions, chosen by a keyed HMAC of the
   user (always the same question, so restarting does not shop for an easier one). An unknown
   identifier carries a decoy question, also keyed-HMAC chosen, so the attempt looks the same.
   Skipped for an account without challenge answers (clients and advisors).
4. ``check_reset_second_factor``: when the account has one, an authenticator-app code or one of
   its recovery codes. Passkeys are not offered here: a passkey-only user enters a recovery code
   or calls the service center.
5. ``complete_password_reset``: the new password. Then every session of the user is ended,
   every remembered device revoked, the sign-in lock lifted, the change audited and a notice
   emailed. The user is not signed in: they sign in normally, second factor included.

The attempt lives in the session (``RESET_SESSION_KEY``): an id, the user's public id (empty for
no account), the id of its code row, the question, which steps passed and the failure counts,
never the code. It expires 15 minutes after step 1 (``RXPORTAL_PASSWORD_RESET_TIMEOUT``). Wrong
codes (5) and wrong answers or second-factor codes (``RXPORTAL_PASSWORD_RESET_MAX_ATTEMPTS``, 3)
end it. They are *not* sign-in failures: they have their own limits per attempt, per name and
per account (``services.recovery_limits``, where the reasoning is), because a reset must never
become a way for anyone to lock an account, and the sign-in lock never blocks a reset: forgot
password is the way back in for a locked account, and completing it lifts the lock.

Forgot username (``send_username_reminder``): an email address; the username(s) of active
accounts whose verified primary address it is go to that stored address, never to the typed one.
No account: nothing is sent. The answer is the same either way.

Residual timing difference: for a real account the email is sent after commit, inside the
request (as for the lock-out notice); it becomes a queued task with the notifications app.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from allauth.account import signals as allauth_signals
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext

from rxportal.accounts import domain
from rxportal.accounts.challenge_questions import CHALLENGE_QUESTIONS, CHALLENGE_QUESTIONS_BY_SLUG
from rxportal.accounts.crypto import decrypt_text, keyed_digest
from rxportal.accounts.domain import normalize_username
from rxportal.accounts.gateways import is_sms_enabled
from rxportal.accounts.models import (
    OneTimeCodeChannel,
    OneTimeCodePurpose,
    RecoveryCode,
    SecurityProfile,
    User,
)
from rxportal.accounts.services import recovery_limits
from rxportal.accounts.services.challenges import check_challenge_answer, pick_challenge_question
from rxportal.accounts.services.codes import (
    CODE_DIGEST_PURPOSE,
    issue_bound_code,
    verify_bound_code,
)
from rxportal.accounts.services.devices import revoke_all_devices
from rxportal.accounts.services.lockout import clear_throttles_for_user
from rxportal.accounts.services.recovery_codes import use_recovery_code
from rxportal.accounts.services.security_notices import support_phone
from rxportal.accounts.services.signin import accept_totp_step, has_second_factor
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.audit.services import username_digest as audit_username_digest
from rxportal.connected_apps.services import revoke_all_app_access
from rxportal.core.errors import DomainError
from rxportal.notifications import services as notifications

logger = logging.getLogger(__name__)

RESET_SESSION_KEY = "rx_password_reset"
IDENTIFIER_MAX_LENGTH = 254
DECOY_QUESTION_PURPOSE = "recovery-decoy-question"
QUESTION_CHOICE_PURPOSE = "recovery-question-choice"

ACTION_RESET_REQUESTED = "account.password.reset.requested"
ACTION_RESET_STEP_PASSED = "account.password.reset.step_passed"
ACTION_RESET_STEP_FAILED = "account.password.reset.step_failed"
ACTION_RESET_ABANDONED = "account.password.reset.abandoned"
ACTION_PASSWORD_RESET = "account.password.reset"  # noqa: S105 (an audit action name)
ACTION_USERNAME_REMINDER = "account.username.reminder_requested"


class Step(StrEnum):
    CODE = "code"
    QUESTION = "question"
    SECOND_FACTOR = "second_factor"
    NEW_PASSWORD = "new_password"  # noqa: S105 (a step name)


_STEP_VALUES = frozenset(step.value for step in Step)


# --- Errors (stable codes; the edges turn them into a message and a redirect) -----------------


class ResetNotStarted(DomainError):
    """No reset attempt in this session (never started, finished or abandoned)."""

    code = "account.password_reset.not_started"


class ResetExpired(DomainError):
    code = "account.password_reset.expired"


class ResetAttemptsExhausted(DomainError):
    """Too many wrong codes or answers: the attempt is over, start again."""

    code = "account.password_reset.too_many_attempts"


class ResetAnswersPaused(ResetAttemptsExhausted):
    """Too many wrong answers or second-factor codes for this account today: the attempt is over
    and new ones stop at the same step until the day's count falls."""

    code = "account.password_reset.account_paused"


class ResetShortCodesPaused(DomainError):
    """A 6-digit code typed after the name's checks for the day were used up: not checked, not
    counted; the attempt goes on (a new code will be a long one)."""

    code = "account.password_reset.short_codes_paused"


class ResetStepNotReached(DomainError):
    """An earlier step has not passed yet (e.g. the question before the code)."""

    code = "account.password_reset.step_not_reached"


# --- The attempt, kept in the session ---------------------------------------------------------


@dataclass
class ResetAttempt:
    attempt_id: str
    user_public_id: str  # "" when the identifier named no account
    # The identifier as typed, normalized: the lock-out counter that sees this attempt's wrong
    # answers and the rate-limit key for new codes. Never the account's username when an email
    # was typed, so nothing observable differs between an existing and a missing account.
    throttle_name: str
    question: str  # question slug (a decoy when there is no account; "" when none is asked)
    started_at: float
    code_id: str = ""  # public id of this attempt's code row ("" when none was issued)
    passed: list[str] = field(default_factory=list)
    code_failures: int = 0
    failures: int = 0
    resends: int = 0
    _user: User | None = field(default=None, repr=False, compare=False)

    def to_session(self) -> dict[str, Any]:
        return {
            "id": self.attempt_id,
            "user": self.user_public_id,
            "name": self.throttle_name,
            "question": self.question,
            "code": self.code_id,
            "at": self.started_at,
            "passed": list(self.passed),
            "code_failures": self.code_failures,
            "failures": self.failures,
            "resends": self.resends,
        }

    @classmethod
    def from_session(cls, data: object) -> ResetAttempt | None:
        if not isinstance(data, dict):
            return None
        strings = ("id", "user", "name", "question", "code")
        numbers = ("code_failures", "failures", "resends")
        if not all(isinstance(data.get(key), str) for key in strings):
            return None
        if not all(isinstance(data.get(key), int) for key in numbers):
            return None
        passed = data.get("passed")
        if not isinstance(data.get("at"), float) or not isinstance(passed, list):
            return None
        return cls(
            attempt_id=data["id"],
            user_public_id=data["user"],
            throttle_name=data["name"],
            question=data["question"],
            started_at=data["at"],
            code_id=data["code"],
            passed=[step for step in passed if step in _STEP_VALUES],
            code_failures=data["code_failures"],
            failures=data["failures"],
            resends=data["resends"],
        )

    @property
    def user(self) -> User | None:
        """The account being reset (None for an unknown identifier or a since-disabled one)."""
        if self._user is None and self.user_public_id:
            try:
                public_id = uuid.UUID(self.user_public_id)
            except ValueError:
                return None
            self._user = User.objects.filter(public_id=public_id, is_active=True).first()
        return self._user


def save_reset(request: HttpRequest, attempt: ResetAttempt) -> None:
    request.session[RESET_SESSION_KEY] = attempt.to_session()


def end_reset(request: HttpRequest) -> None:
    request.session.pop(RESET_SESSION_KEY, None)


def resume_reset(request: HttpRequest, *, now: dt.datetime) -> ResetAttempt:
    """The session's attempt; raises ``ResetNotStarted`` or ``ResetExpired`` (and forgets it)."""
    attempt = ResetAttempt.from_session(request.session.get(RESET_SESSION_KEY))
    if attempt is None or (Step.CODE in attempt.passed and attempt.user is None):
        # Never started, or the account was disabled (or removed) during the reset.
        end_reset(request)
        raise ResetNotStarted(gettext("Start by telling us your username or email."))
    if now.timestamp() - attempt.started_at > settings.RXPORTAL_PASSWORD_RESET_TIMEOUT:
        end_reset(request)
        raise ResetExpired(
            gettext("That password reset took too long, so we stopped it. Please start again.")
        )
    return attempt


# --- Looking up the account -------------------------------------------------------------------


def normalize_identifier(raw: str) -> str:
    """What every lookup, digest and rate-limit key uses: NFKC, spaces collapsed, case-folded."""
    return normalize_username(" ".join(raw.split()))


def find_account_for_recovery(identifier: str) -> User | None:
    """The active account whose username, or else email, is ``identifier`` (one query).

    An email shared by several accounts names none of them here (use the username).
    """
    normalized = normalize_identifier(identifier)
    if not normalized:
        return None
    candidates = list(
        User.objects.filter(is_active=True)
        .filter(
            Q(username__iexact=normalized)
            | Q(email__iexact=normalized)
            | Q(emailaddress__email__iexact=normalized, emailaddress__verified=True)
        )
        .distinct()
        .order_by("pk")[:3]
    )
    by_username = [u for u in candidates if normalize_username(u.username) == normalized]
    if by_username:
        return by_username[0]
    by_email = [u for u in candidates if normalize_username(u.username) != normalized]
    return by_email[0] if len(by_email) == 1 else None


def _index_from_digest(digest: str, size: int) -> int:
    return int(digest[:16], 16) % size


def decoy_question_for(normalized_identifier: str) -> str:
    """The same made-up question every time for the same unknown identifier."""
    digest = keyed_digest(DECOY_QUESTION_PURPOSE, normalized_identifier)
    return CHALLENGE_QUESTIONS[_index_from_digest(digest, len(CHALLENGE_QUESTIONS))].slug


def question_for(user: User) -> str:
    """One of the user's answered questions, the same one on every attempt ("" if none)."""
    seed = _index_from_digest(keyed_digest(QUESTION_CHOICE_PURPOSE, str(user.public_id)), 2**61)
    # Not a secret: a stable choice among the user's own questions.
    return pick_challenge_question(user=user, rng=random.Random(seed)) or ""


def question_text(slug: str) -> str:
    question = CHALLENGE_QUESTIONS_BY_SLUG.get(slug)
    return str(question.text) if question else ""


# --- Step 1: ask for a code -------------------------------------------------------------------


def _sms_phone(user: User) -> str | None:
    if not is_sms_enabled():
        return None
    profile = SecurityProfile.objects.filter(user=user).first()
    if profile is None or not profile.sms_phone_verified or not profile.sms_phone_encrypted:
        return None
    return decrypt_text(profile.sms_phone_encrypted)


def _code_email(code: str) -> tuple[str, str]:
    subject = gettext("Your rxportal password reset code")
    body = gettext(
        "Someone (we hope you) asked to reset the password of your rxportal account.\n\n"
        "Your code is %(code)s\n\n"
        "Enter it on the page that asked for it. It expires in 10 minutes and works once.\n\n"
        "If you did not ask for this, ignore this email: your password has not changed, and "
        "nobody can change it without this code. Never give this code to anyone: we will never "
        "ask for it by phone, text or email.\n"
    ) % {"code": code}
    return subject, body


def _code_sms(code: str) -> str:
    return gettext(
        "rxportal password reset code: %(code)s. It expires in 10 minutes. Never share it: we "
        "will never call or text to ask for it."
    ) % {"code": code}


def _deliver_code(user: User, *, phone: str | None, code: str) -> None:
    """Sent after commit, once (a failure is logged; the person can ask for a new code)."""
    subject, body = _code_email(code)
    kind = f"code.{OneTimeCodePurpose.PASSWORD_RESET.value}"
    if user.email:
        notifications.send_code_message(
            kind=kind,
            recipient=user,
            channel=notifications.Channel.EMAIL,
            to_address=user.email,
            subject=subject,
            body_text=body,
        )
    if phone:
        notifications.send_code_message(
            kind=kind,
            recipient=user,
            channel=notifications.Channel.SMS,
            to_address=phone,
            body_text=_code_sms(code),
        )


def _send_reset_code(
    user: User, *, now: dt.datetime, long: bool, replaces: str = ""
) -> tuple[list[str], str]:
    """Issue one code for an attempt and send it to the email on file and the confirmed phone;
    (the channels, the code row's public id, "" when there is nowhere to send it)."""
    phone = _sms_phone(user)
    channels = [OneTimeCodeChannel.EMAIL.value] if user.email else []
    if phone:
        channels.append(OneTimeCodeChannel.SMS.value)
    if not channels:
        return [], ""
    code_id, code = issue_bound_code(
        user=user,
        purpose=OneTimeCodePurpose.PASSWORD_RESET,
        channel=channels[0],
        now=now,
        long=long,
        replaces=uuid.UUID(replaces) if replaces else None,
    )
    _deliver_code(user, phone=phone, code=code)
    return channels, str(code_id)


def _spend_code_work() -> None:
    """What issuing a code costs, for an identifier with no account."""
    keyed_digest(CODE_DIGEST_PURPOSE, f"{uuid.uuid4()}:{secrets.randbelow(10**6):06d}")


def start_password_reset(
    *, identifier: str, request: HttpRequest | None, now: dt.datetime
) -> ResetAttempt:
    """Begin an attempt for ``identifier`` (a username or an email), existing or not.

    Returns the attempt for the edge to keep (``save_reset``); it looks the same either way.
    """
    normalized = normalize_identifier(identifier)
    attempt_id = uuid.uuid4().hex
    long = recovery_limits.code_checks_used_up(name=normalized, now=now)
    code_id = ""
    with transaction.atomic():
        user = find_account_for_recovery(normalized)
        if user is not None:
            channels, code_id = _send_reset_code(user, now=now, long=long)
            question = question_for(user)
        else:
            _spend_code_work()
            channels = []
            question = decoy_question_for(normalized)
        record_event(
            action=ACTION_RESET_REQUESTED,
            outcome=Outcome.SUCCESS if user is not None else Outcome.FAILURE,
            request=request,
            subject=user,
            details={
                "attempt": attempt_id,
                "channels": channels,
                "short_checks_used_up": long,
                "username_digest": audit_username_digest(normalized),
            },
        )
    return ResetAttempt(
        attempt_id=attempt_id,
        user_public_id=str(user.public_id) if user is not None else "",
        throttle_name=normalized,
        question=question,
        started_at=now.timestamp(),
        code_id=code_id,
        _user=user,
    )


def resend_reset_code(*, attempt: ResetAttempt, now: dt.datetime) -> bool:
    """A new code (the old one stops working); False once this attempt's quota is used up."""
    if Step.CODE in attempt.passed:
        return False
    if attempt.resends >= settings.RXPORTAL_PASSWORD_RESET_MAX_RESENDS:
        return False
    attempt.resends += 1
    user = attempt.user
    long = recovery_limits.code_checks_used_up(name=attempt.throttle_name, now=now)
    with transaction.atomic():
        if user is not None:
            _, attempt.code_id = _send_reset_code(
                user, now=now, long=long, replaces=attempt.code_id
            )
        else:
            _spend_code_work()
    return True


# --- Which step is next -----------------------------------------------------------------------


def is_question_required(attempt: ResetAttempt) -> bool:
    return bool(attempt.question)


def has_recovery_codes(user: User) -> bool:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).exists()


def is_second_factor_required(user: User | None) -> bool:
    return user is not None and (has_second_factor(user) or has_recovery_codes(user))


def current_step(attempt: ResetAttempt) -> Step:
    if Step.CODE not in attempt.passed:
        return Step.CODE
    if is_question_required(attempt) and Step.QUESTION not in attempt.passed:
        return Step.QUESTION
    if Step.SECOND_FACTOR not in attempt.passed and is_second_factor_required(attempt.user):
        return Step.SECOND_FACTOR
    return Step.NEW_PASSWORD


def _require_step(attempt: ResetAttempt, step: Step) -> None:
    if current_step(attempt) != step:
        raise ResetStepNotReached(gettext("Finish the earlier steps first."), step=str(step))


@dataclass(frozen=True)
class SecondFactorOptions:
    """What the second-factor page offers (the person has proven the inbox by now)."""

    totp: bool
    recovery_codes: bool
    passkey_only: bool


def second_factor_options(attempt: ResetAttempt) -> SecondFactorOptions:
    user = attempt.user
    if user is None:
        return SecondFactorOptions(totp=False, recovery_codes=False, passkey_only=False)
    types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    totp = Authenticator.Type.TOTP in types
    codes = has_recovery_codes(user)
    return SecondFactorOptions(
        totp=totp,
        recovery_codes=codes,
        passkey_only=not totp and not codes and Authenticator.Type.WEBAUTHN in types,
    )


# --- Steps 2 to 4: code, question, second factor ----------------------------------------------


def _passed(
    attempt: ResetAttempt, step: Step, *, request: HttpRequest | None, **details: Any
) -> None:
    attempt.passed.append(step.value)
    record_event(
        action=ACTION_RESET_STEP_PASSED,
        outcome=Outcome.SUCCESS,
        request=request,
        subject=attempt.user,
        details={"attempt": attempt.attempt_id, "step": str(step), **details},
    )


def _failed(
    attempt: ResetAttempt,
    step: Step,
    *,
    request: HttpRequest | None,
    now: dt.datetime,
    limit: int,
    count: int,
) -> None:
    """Record a wrong try; raise ``ResetAttemptsExhausted`` (after recording) at the limit.

    Never a sign-in failure (see ``services.recovery_limits``). Wrong answers and second-factor
    codes also count for the account over a day; when that runs out, ``ResetAnswersPaused``.
    """
    record_event(
        action=ACTION_RESET_STEP_FAILED,
        outcome=Outcome.FAILURE,
        request=request,
        subject=attempt.user,
        details={"attempt": attempt.attempt_id, "step": str(step), "failures": count},
    )
    user = attempt.user
    if (
        step != Step.CODE
        and user is not None
        and recovery_limits.note_answer_failure(user=user, now=now)
    ):
        _abandon(attempt, step, request=request, reason="account_limit")
        raise _answers_paused(user, step)
    if count >= limit:
        _abandon(attempt, step, request=request, reason="attempt_limit")
        if step == Step.CODE:
            raise ResetAttemptsExhausted(
                gettext(
                    "The code was wrong 5 times, so it no longer works and we stopped this "
                    "reset. Enter your username or email again and we will send you a new code."
                ),
                step=str(step),
            )
        raise ResetAttemptsExhausted(
            gettext(
                "That did not match too many times, so we stopped this reset. Start again to "
                "get a new code."
            ),
            step=str(step),
        )


def _abandon(
    attempt: ResetAttempt, step: Step, *, request: HttpRequest | None, reason: str
) -> None:
    record_event(
        action=ACTION_RESET_ABANDONED,
        outcome=Outcome.FAILURE,
        request=request,
        subject=attempt.user,
        details={"attempt": attempt.attempt_id, "step": str(step), "reason": reason},
    )


def _answers_paused(user: User, step: Step) -> ResetAnswersPaused:
    return ResetAnswersPaused(
        gettext(
            "Too many wrong answers have been given for this account today, so we have paused "
            "password resets for it for up to a day. To get back in sooner, call us at "
            "%(phone)s."
        )
        % {"phone": support_phone(user)},
        step=str(step),
    )


def _refuse_if_answers_paused(
    attempt: ResetAttempt, step: Step, *, request: HttpRequest | None, now: dt.datetime
) -> None:
    user = attempt.user
    if user is not None and recovery_limits.answers_used_up(user=user, now=now):
        _abandon(attempt, step, request=request, reason="account_limit")
        raise _answers_paused(user, step)


def verify_reset_code(
    *, attempt: ResetAttempt, code: str, request: HttpRequest | None, now: dt.datetime
) -> bool:
    """True if ``code`` is this account's newest reset code, unused and unexpired.

    A wrong, expired or used code counts; after ``CODE_MAX_ATTEMPTS`` the attempt is over
    (``ResetAttemptsExhausted``). An unknown identifier never passes, after the same work.
    A 6-digit entry once the name's checks for the day are used up is refused unchecked
    (``ResetShortCodesPaused``); a long one is always checked.
    """
    _require_step(attempt, Step.CODE)
    is_short = domain.normalize_code_input(code) is not None
    if is_short and not recovery_limits.reserve_short_code_check(
        name=attempt.throttle_name, now=now
    ):
        record_event(
            action=ACTION_RESET_STEP_FAILED,
            outcome=Outcome.FAILURE,
            request=request,
            subject=attempt.user,
            details={"attempt": attempt.attempt_id, "step": "code", "reason": "name_limit"},
        )
        raise ResetShortCodesPaused(
            gettext(
                "Too many wrong codes have been entered for this username or email today, so "
                '6-digit codes no longer work for it. Choose "Send a new code" and enter the '
                "longer code (12 letters and digits) that we send."
            )
        )
    user = attempt.user
    if user is not None and attempt.code_id:
        matched = verify_bound_code(
            user=user,
            purpose=OneTimeCodePurpose.PASSWORD_RESET,
            code_id=uuid.UUID(attempt.code_id),
            code=code,
            now=now,
        )
    else:
        _spend_code_work()
        matched = False
    if matched:
        _passed(attempt, Step.CODE, request=request)
        return True
    attempt.code_failures += 1
    _failed(
        attempt,
        Step.CODE,
        request=request,
        now=now,
        limit=domain.CODE_MAX_ATTEMPTS,
        count=attempt.code_failures,
    )
    return False


def check_reset_answer(
    *, attempt: ResetAttempt, answer: str, request: HttpRequest | None, now: dt.datetime
) -> bool:
    """The challenge answer, only after the code has passed."""
    _require_step(attempt, Step.QUESTION)
    _refuse_if_answers_paused(attempt, Step.QUESTION, request=request, now=now)
    user = attempt.user
    if user is not None and check_challenge_answer(
        user=user, question=attempt.question, answer=answer
    ):
        _passed(attempt, Step.QUESTION, request=request)
        return True
    attempt.failures += 1
    _failed(
        attempt,
        Step.QUESTION,
        request=request,
        now=now,
        limit=settings.RXPORTAL_PASSWORD_RESET_MAX_ATTEMPTS,
        count=attempt.failures,
    )
    return False


def _accept_totp(user: User, digits: str) -> bool:
    for authenticator in Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP):
        # allauth checks the code (and marks it used in the cache for one period); ours then
        # refuses a time step that was already accepted, durably.
        if TOTP(authenticator).validate_code(digits) and accept_totp_step(
            authenticator=authenticator, code=digits
        ):
            authenticator.record_usage()
            return True
    return False


def check_reset_second_factor(
    *, attempt: ResetAttempt, code: str, request: HttpRequest | None, now: dt.datetime
) -> bool:
    """An authenticator-app code (6 digits) or an unused recovery code (then used up)."""
    _require_step(attempt, Step.SECOND_FACTOR)
    _refuse_if_answers_paused(attempt, Step.SECOND_FACTOR, request=request, now=now)
    user = attempt.user
    method = ""
    if user is not None:
        digits = domain.normalize_code_input(code)
        if digits is not None:
            method = "totp" if _accept_totp(user, digits) else ""
        elif use_recovery_code(user=user, code=code, now=now):
            method = "recovery_code"
    if method:
        _passed(attempt, Step.SECOND_FACTOR, request=request, method=method)
        return True
    attempt.failures += 1
    _failed(
        attempt,
        Step.SECOND_FACTOR,
        request=request,
        now=now,
        limit=settings.RXPORTAL_PASSWORD_RESET_MAX_ATTEMPTS,
        count=attempt.failures,
    )
    return False


# --- Step 5: the new password -----------------------------------------------------------------


@dataclass(frozen=True)
class ResetResult:
    sessions_ended: int
    devices_revoked: int
    lock_cleared: bool


def _send_password_changed_notice(user: User) -> None:
    """By email and to the inbox, written to the outbox with the reset."""
    notifications.notify(
        recipient=user,
        kind="security.password_changed",
        context={"reset": True, "phone": support_phone(user)},
        idempotency_key=uuid.uuid4().hex,  # each reset is its own event
    )


def _end_all_sessions(user: User) -> int:
    """Every tracked session of the user, deleted from the session store.

    Untracked sessions die anyway: the new password changes the session auth hash that
    Django checks on every request.
    """
    sessions = list(UserSession.objects.filter(user=user))
    for session in sessions:
        session.end()
    return len(sessions)


def _clear_allauth_login_limits(request: HttpRequest, user: User) -> None:
    """allauth's own failed-login counters (per typed username and email), as its reset does."""
    adapter = get_account_adapter(request)
    adapter._delete_login_attempts_cached_email(request, username=user.get_username())
    for address in EmailAddress.objects.filter(user_id=user.pk):
        adapter._delete_login_attempts_cached_email(request, email=address.email)


def complete_password_reset(
    *, attempt: ResetAttempt, password: str, request: HttpRequest | None, now: dt.datetime
) -> ResetResult:
    """Set the new password (already validated by the form) and secure the account."""
    _require_step(attempt, Step.NEW_PASSWORD)
    user = attempt.user
    if user is None:  # cannot happen: an unknown identifier never passes the code
        raise ResetStepNotReached(gettext("Finish the earlier steps first."), step="code")
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
        sessions_ended = _end_all_sessions(user)
        revoke_all_app_access(user)  # connected apps sign in again too
        devices_revoked = revoke_all_devices(user=user, now=now)
        lock_cleared = clear_throttles_for_user(
            user=user, actor=user, request=request, reason="password reset"
        )
        record_event(
            action=ACTION_PASSWORD_RESET,
            outcome=Outcome.SUCCESS,
            actor=user,
            request=request,
            subject=user,
            details={
                "attempt": attempt.attempt_id,
                "steps": [str(step) for step in attempt.passed],
                "sessions_ended": sessions_ended,
                "devices_revoked": devices_revoked,
                "lock_cleared": lock_cleared,
            },
        )
        _send_password_changed_notice(user)
    if request is not None:
        end_reset(request)
        _clear_allauth_login_limits(request, user)
        allauth_signals.password_reset.send(sender=User, request=request, user=user)
    return ResetResult(
        sessions_ended=sessions_ended, devices_revoked=devices_revoked, lock_cleared=lock_cleared
    )


# --- Forgot username --------------------------------------------------------------------------


def _send_username_reminder(owner: User, usernames: list[str], phone: str) -> None:
    """By email to the address the accounts share, which is ``owner``'s own."""
    notifications.notify(
        recipient=owner,
        kind="account.username_reminder",
        context={"usernames": ", ".join(usernames), "phone": phone},
        idempotency_key=uuid.uuid4().hex,  # each request is its own event
    )


def send_username_reminder(*, email: str, request: HttpRequest | None) -> int:
    """Email the username(s) registered to ``email`` to that address as stored; returns how many
    accounts matched (the edge must not show it). Unknown address: nothing is sent."""
    typed = email.strip()
    addresses = list(
        EmailAddress.objects.filter(
            email__iexact=typed, verified=True, primary=True, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    )
    by_address: dict[str, list[User]] = {}
    for address in addresses:
        by_address.setdefault(address.email, []).append(address.user)
    with transaction.atomic():
        for users in by_address.values():
            _send_username_reminder(
                users[0], [user.get_username() for user in users], support_phone(users[0])
            )
        record_event(
            action=ACTION_USERNAME_REMINDER,
            outcome=Outcome.SUCCESS if addresses else Outcome.FAILURE,
            request=request,
            subject=addresses[0].user if len(addresses) == 1 else None,
            details={"accounts": len(addresses)},
        )
    return len(addresses)
