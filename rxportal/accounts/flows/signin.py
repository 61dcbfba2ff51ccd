"""The sign-in journey up to the password: username, challenge question, SiteKey.

1. **Username** (``identify``). Nothing is revealed: the answer is the question page, or, when
   this browser holds a live device cookie for that very user (``RecognizedDevice``), straight
   the SiteKey and password page (the POST's own answer, no redirect).
2. **Question** (``check_answer``), on a browser the portal does not recognize, for known and
   unknown names alike. A known user is asked one of their own questions, the same one on every
   attempt until they change their questions (keyed HMAC of the user's public id). Any other name
   (unknown, inactive, or an account without answers) gets a question chosen by keyed HMAC of the
   name from ``CHALLENGE_QUESTIONS``, the same list people pick from, so the question tells
   nothing. The answer is compared against a hash either way (one Argon2id run). A wrong answer,
   and any answer while the lock-out refuses the name, ends the attempt with one message and
   counts on the username's sign-in throttle; a right one rotates the session id.
3. **SiteKey + password**. The SiteKey is shown only after a right answer or on a recognized
   browser. A right answer is this attempt's new-device check: ``NewDeviceStage`` then remembers
   the browser (``skip_new_device_check``) instead of asking again. "Can't answer?" leads to
   the password without the SiteKey; after the password the new-device stage asks for an email or
   text-message code, as before. Unknown names get the same pages; their password always fails.

4. **Text-message second factor** (``SmsSecondFactorStage``), for people whose only second
   factor is a confirmed phone: ``send_sms_code`` texts a code when asked; ``check_sms_step``
   takes it back, or a recovery code. A locked name cannot pass; wrong codes count toward the
   lock-out like a wrong password, and after ``RXPORTAL_SECOND_FACTOR_MAX_ATTEMPTS`` the sign-in
   starts over. A pass is recorded as allauth's "mfa" authentication and rotates the session id.

So a SiteKey is never shown to someone who has not answered (or does not hold the owner's
device cookie), and no decoy SiteKey exists any more: the old fixed list of decoy phrases told a
decoy from a free-text phrase. State lives in the session under ``IDENTIFIED_USERNAME_SESSION_KEY``
(typed and normalized name, the step, the question slug, the time), never the answer.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from enum import StrEnum

from allauth.account.internal.flows.login import record_authentication
from allauth.account.internal.stagekit import clear_login, stash_login
from allauth.account.stages import LoginStage
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.http import HttpRequest

from rxportal.accounts.challenge_questions import (
    CHALLENGE_QUESTIONS,
    CHALLENGE_QUESTIONS_BY_SLUG,
    normalize_answer,
)
from rxportal.accounts.crypto import keyed_digest
from rxportal.accounts.domain import compute_ip_group, normalize_username
from rxportal.accounts.models import ChallengeAnswer, SecurityProfile, User
from rxportal.accounts.services import devices, lockout, signin, sms_factor
from rxportal.accounts.services.recovery_codes import use_recovery_code
from rxportal.accounts.services.sitekey import get_sitekey_for_login
from rxportal.accounts.sitekeys import SiteKeyDisplay
from rxportal.audit.models import Outcome
from rxportal.audit.services import client_ip, record_event
from rxportal.audit.services import username_digest as audit_username_digest

IDENTIFIED_USERNAME_SESSION_KEY = signin.IDENTIFIED_USERNAME_SESSION_KEY
QUESTION_CHOICE_PURPOSE = "signin-question-choice"
UNKNOWN_QUESTION_PURPOSE = "signin-question-unknown"
QUESTION_QUOTA_PURPOSE = "signin-question-quota"
# The request attribute through which NewDeviceStage hands the device cookie to the password view.
_DEVICE_COOKIE_ATTRIBUTE = "_rx_new_device_cookie"


class Step(StrEnum):
    QUESTION = "question"  # the question is waiting for an answer; nothing else is open
    RECOGNIZED = "recognized"  # this browser holds the user's device cookie: SiteKey + password
    ANSWERED = "answered"  # right answer in this attempt: SiteKey + password, browser checked
    WITHOUT_SITEKEY = "without_sitekey"  # "Can't answer?": the password, no SiteKey, then a code


@dataclass(frozen=True)
class Identity:
    typed: str
    normalized: str
    step: Step
    question: str  # slug of the question asked (also kept after it is answered)
    # The account's normalized username when an email address was typed for it; otherwise the
    # normalized name typed (the lock-out stays keyed by what was typed, known or not).
    login: str = ""

    @property
    def account_name(self) -> str:
        return self.login or self.normalized

    @property
    def login_to_check(self) -> str:
        """What the password step hands allauth: the account's username for an address."""
        return self.account_name if self.account_name != self.normalized else self.typed

    @property
    def question_text(self) -> str:
        question = CHALLENGE_QUESTIONS_BY_SLUG.get(self.question)
        return str(question.text) if question else ""

    @property
    def shows_sitekey(self) -> bool:
        return self.step in {Step.RECOGNIZED, Step.ANSWERED}

    @property
    def may_enter_password(self) -> bool:
        return self.step != Step.QUESTION


class AnswerOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # wrong, or refused by this connection's throttle
    PAUSED = "paused"  # refused: the username's sign-in is paused (known or not, the same)


# --- Session state -----------------------------------------------------------------------------


def _save(request: HttpRequest, identity: Identity, *, at: float) -> None:
    request.session[IDENTIFIED_USERNAME_SESSION_KEY] = {
        "typed": identity.typed,
        "normalized": identity.normalized,
        "step": str(identity.step),
        "question": identity.question,
        "login": identity.login,
        "at": at,
    }


def current_identity(request: HttpRequest, *, now: dt.datetime) -> Identity | None:
    """This attempt's name and step, or None (no attempt, or older than the sign-in timeout)."""
    data = request.session.get(IDENTIFIED_USERNAME_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    typed, normalized, at = data.get("typed"), data.get("normalized"), data.get("at")
    step, question = data.get("step"), data.get("question")
    if not (
        isinstance(typed, str)
        and isinstance(normalized, str)
        and isinstance(at, float)
        and isinstance(question, str)
        and step in set(Step)
    ):
        return None
    if now.timestamp() - at > settings.ACCOUNT_LOGIN_TIMEOUT:
        return None
    login = data.get("login")
    return Identity(
        typed=typed,
        normalized=normalized,
        step=Step(step),
        question=question,
        login=login if isinstance(login, str) else "",
    )


def forget(request: HttpRequest) -> None:
    """End this attempt ("Not you?", a wrong answer)."""
    signin.forget_identified_username(request)


def _set_step(request: HttpRequest, identity: Identity, step: Step, *, now: dt.datetime) -> None:
    _save(
        request,
        Identity(
            typed=identity.typed,
            normalized=identity.normalized,
            step=step,
            question=identity.question,
            login=identity.login,
        ),
        at=now.timestamp(),
    )


# --- The question ------------------------------------------------------------------------------


def _index(purpose: str, value: str, size: int) -> int:
    return int(keyed_digest(purpose, value)[:16], 16) % size


def _question_for_user(user: User | None, normalized: str) -> str:
    """The user's own question (stable until they change questions), else the name's stand-in.

    One query either way; the stand-in comes from the same list people choose from.
    """
    owner_id = user.pk if user is not None else 0
    slugs = sorted(
        ChallengeAnswer.objects.filter(user_id=owner_id).values_list("question", flat=True)
    )
    slugs = [slug for slug in slugs if slug in CHALLENGE_QUESTIONS_BY_SLUG]
    if user is not None and slugs:
        # Not a secret, only a stable choice among the user's own questions.
        seed = _index(QUESTION_CHOICE_PURPOSE, str(user.public_id), 2**61)
        return random.Random(seed).choice(slugs)
    return CHALLENGE_QUESTIONS[
        _index(UNKNOWN_QUESTION_PURPOSE, normalized, len(CHALLENGE_QUESTIONS))
    ].slug


def identify(*, request: HttpRequest, username: str, now: dt.datetime) -> Identity:
    """Step 1: start an attempt for ``username`` (existing or not; a verified email address is
    taken for its account's username, through the same question and SiteKey) and decide the
    next step."""
    typed = " ".join(username.split())
    normalized = normalize_username(typed)
    user = lockout.find_user_for_sign_in(normalized)
    step = Step.QUESTION
    if user is not None:
        cookie = request.COOKIES.get(settings.RXPORTAL_DEVICE_COOKIE_NAME)
        if devices.find_recognized_device(user=user, cookie_value=cookie, now=now) is not None:
            step = Step.RECOGNIZED
    identity = Identity(
        typed=typed,
        normalized=normalized,
        step=step,
        # A recognized browser is never asked (the step cannot go back to the question), so
        # its owner's questions are not read; the page already differs from the question's.
        question="" if step == Step.RECOGNIZED else _question_for_user(user, normalized),
        login=normalize_username(user.get_username()) if user is not None else "",
    )
    _save(request, identity, at=now.timestamp())
    return identity


def is_captcha_required(*, request: HttpRequest, identity: Identity, now: dt.datetime) -> bool:
    gate = lockout.sign_in_gate(username=identity.normalized, now=now, ip=client_ip(request))
    return gate.captcha_required


def _answer_matches(user: User | None, question: str, answer: str) -> bool:
    """One hash check whether or not the name has an account with that question."""
    clean = normalize_answer(answer)
    row = ChallengeAnswer.objects.filter(
        user_id=user.pk if user is not None else 0, question=question
    ).first()
    if row is None:
        signin.spend_password_hash_time(clean)
        return False
    return check_password(clean, row.answer_hash)


def check_answer(
    *, request: HttpRequest, identity: Identity, answer: str, now: dt.datetime
) -> AnswerOutcome:
    """Step 2. Passed: the SiteKey and password are next (new session id). Failed: the attempt
    is over; a wrong answer counts on the username's throttle, a refused one is not checked."""
    if identity.step != Step.QUESTION:
        return AnswerOutcome.FAILED
    user = lockout.find_user_for_sign_in(identity.normalized)
    # Counted as a failure before the hash is checked, so parallel answers cannot all be tried.
    attempt = lockout.begin_sign_in_attempt(
        username=identity.normalized, now=now, ip=client_ip(request)
    )
    if attempt.refused:
        # Paused (or this connection throttled): the same work as a wrong answer, nothing
        # checked; a pause is said (``paused_until``), the same for every name.
        signin.spend_password_hash_time(normalize_answer(answer))
        forget(request)
        if attempt.decision.locked_until is not None:
            return AnswerOutcome.PAUSED
        return AnswerOutcome.FAILED
    if _answer_matches(user, identity.question, answer) and user is not None:
        lockout.cancel_sign_in_attempt(attempt)
        _set_step(request, identity, Step.ANSWERED, now=now)
        signin.rotate_session_key(request)
        return AnswerOutcome.PASSED
    with transaction.atomic():
        lockout.fail_sign_in_attempt(attempt, request=request, now=now)
        record_event(
            action=devices.ACTION_CHECK_FAILED,
            outcome=Outcome.FAILURE,
            request=request,
            subject=user,
            details={
                "method": "question",
                "username_digest": audit_username_digest(identity.normalized),
            },
        )
    forget(request)
    return AnswerOutcome.FAILED


def paused_until(*, identity: Identity, now: dt.datetime) -> dt.datetime | None:
    """When the pause on this attempt's name ends (None when it is not paused)."""
    return lockout.sign_in_gate(username=identity.normalized, now=now).locked_until


def question_quota_key(*, request: HttpRequest, identity: Identity) -> str:
    """The question step's rate-limit key: the name *and* the client's address group (IPv4, or
    IPv6 /64), as a keyed digest, so nobody elsewhere can use up the owner's answers."""
    group = compute_ip_group(client_ip(request)) or "-"
    return keyed_digest(QUESTION_QUOTA_PURPOSE, f"{identity.normalized}\n{group}")


def continue_without_sitekey(*, request: HttpRequest, identity: Identity, now: dt.datetime) -> None:
    """ "Can't answer?": the password without the SiteKey; a code after it proves the browser."""
    if identity.step == Step.QUESTION:
        _set_step(request, identity, Step.WITHOUT_SITEKEY, now=now)


# --- The password step -------------------------------------------------------------------------


def sitekey_for(identity: Identity) -> SiteKeyDisplay | None:
    """The SiteKey to show above the password: only after a right answer or on a recognized
    browser, and only the user's own (None when they have not chosen one)."""
    if not identity.shows_sitekey:
        return None
    return get_sitekey_for_login(normalized_username=identity.account_name)


def open_device_cookie_slot(request: HttpRequest) -> None:
    """The password view calls this before allauth runs the login stages."""
    setattr(request, _DEVICE_COOKIE_ATTRIBUTE, "")


def take_device_cookie(request: HttpRequest) -> str:
    """The device cookie value that ``skip_new_device_check`` produced ("" when none)."""
    value = getattr(request, _DEVICE_COOKIE_ATTRIBUTE, "")
    return value if isinstance(value, str) else ""


def skip_new_device_check(*, request: HttpRequest, user: User, now: dt.datetime) -> bool:
    """NewDeviceStage: True when this attempt answered the question for ``user``; the browser
    is then remembered as after a passed check (the password view sets the cookie)."""
    if not hasattr(request, _DEVICE_COOKIE_ATTRIBUTE):
        return False
    identity = current_identity(request, now=now)
    if (
        identity is None
        or identity.step != Step.ANSWERED
        or identity.account_name != normalize_username(user.get_username())
    ):
        return False
    _device, cookie_value = devices.complete_check(
        user=user, request=request, method="question", now=now
    )
    setattr(request, _DEVICE_COOKIE_ATTRIBUTE, cookie_value)
    return True


# --- The text-message second factor ------------------------------------------------------------

SMS_SENT_KEY = "sent"
SMS_FAILURES_KEY = "failures"


class SecondFactorOutcome(StrEnum):
    PASSED = "passed"
    WRONG = "wrong"  # try again
    EXHAUSTED = "exhausted"  # too many wrong codes: the sign-in starts over


@dataclass(frozen=True)
class SmsStep:
    phone_last4: str
    code_sent: bool


def stage_user(stage: LoginStage) -> User:
    """The account a sign-in waiting at a stage (after the password) belongs to."""
    user = stage.login.user
    assert isinstance(user, User)
    return user


def sms_step(stage: LoginStage) -> SmsStep:
    """What the text-message page shows: the phone's last digits, and whether a code went."""
    profile = SecurityProfile.objects.filter(user=stage_user(stage)).first()
    return SmsStep(
        phone_last4=profile.sms_phone_last4 if profile else "",
        code_sent=bool(stage.state.get(SMS_SENT_KEY)),
    )


def send_sms_code(*, request: HttpRequest, stage: LoginStage, now: dt.datetime) -> bool:
    if not sms_factor.send_sign_in_code(user=stage_user(stage), request=request, now=now):
        return False
    stage.state[SMS_SENT_KEY] = True
    stash_login(request, stage.login)
    return True


def check_sms_step(
    *,
    request: HttpRequest,
    stage: LoginStage,
    code: str = "",
    recovery_code: str = "",
    now: dt.datetime,
) -> SecondFactorOutcome:
    """The texted ``code``, or else a ``recovery_code`` (each works once)."""
    user = stage_user(stage)
    username = normalize_username(user.get_username())
    passed = False
    if not lockout.sign_in_gate(username=username, now=now).blocked:
        if code:
            passed = sms_factor.verify_sign_in_code(user=user, code=code, request=request, now=now)
        else:
            passed = use_recovery_code(user=user, code=recovery_code, now=now)
            if not passed:
                sms_factor.record_second_factor_failure(
                    user=user, request=request, now=now, method="recovery_code"
                )
    if passed:
        record_authentication(
            request, user, method="mfa", type="rx_sms" if code else "rx_recovery_code"
        )
        # A factor passed: a new session id before the next stage (or the sign-in).
        signin.rotate_session_key(request)
        return SecondFactorOutcome.PASSED
    failures = int(stage.state.get(SMS_FAILURES_KEY, 0)) + 1
    stage.state[SMS_FAILURES_KEY] = failures
    if failures >= settings.RXPORTAL_SECOND_FACTOR_MAX_ATTEMPTS:
        clear_login(request)
        return SecondFactorOutcome.EXHAUSTED
    stash_login(request, stage.login)
    return SecondFactorOutcome.WRONG
