"""The forgot-password journey: start → code → question → second factor → new password → done,
and forgot username.

The attempt lives in the session (``services.recovery.save_reset``); every step page first
``resume``s it, which says the step that is actually next (so the question can never be answered
before the code). ``submit_step`` is the one bookkeeping for the three checking steps: the check,
then the attempt saved back whatever happened, a new session id after a pass (each step is a
factor, as at sign-in), the attempt ended when it is used up. What is checked, counted and
audited per step is ``services.recovery``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.http import HttpRequest

from rxportal.accounts.services import recovery, signin
from rxportal.accounts.services.recovery import ResetAttempt, Step
from rxportal.core.errors import DomainError


@dataclass(frozen=True)
class Resumed:
    """The session's attempt and the step it is at; or none (``expired_message`` says why when
    it timed out, "" when it never started)."""

    attempt: ResetAttempt | None
    step: Step | None = None
    expired_message: str = ""


class StepOutcome(StrEnum):
    PASSED = "passed"  # on to ``next_step``
    WRONG = "wrong"  # the page says so; try again
    REFUSED = "refused"  # not checked (short codes paused): ``message`` says why
    ENDED = "ended"  # attempts used up: the attempt is over, ``message`` says why


@dataclass(frozen=True)
class StepResult:
    outcome: StepOutcome
    next_step: Step | None = None
    message: str = ""


def start(*, request: HttpRequest, identifier: str, now: dt.datetime) -> Step:
    """Step 1: a username or email, known or not; always on to the code."""
    attempt = recovery.start_password_reset(identifier=identifier, request=request, now=now)
    recovery.save_reset(request, attempt)
    return recovery.current_step(attempt)


def resume(request: HttpRequest, *, now: dt.datetime) -> Resumed:
    try:
        attempt = recovery.resume_reset(request, now=now)
    except recovery.ResetExpired as error:
        return Resumed(attempt=None, expired_message=error.message)
    except recovery.ResetNotStarted:
        return Resumed(attempt=None)
    return Resumed(attempt=attempt, step=recovery.current_step(attempt))


# Each checking step's check: what the person typed in, passed or not.
_CHECKS: dict[Step, Callable[..., bool]] = {
    Step.CODE: lambda attempt, value, request, now: recovery.verify_reset_code(
        attempt=attempt, code=value, request=request, now=now
    ),
    Step.QUESTION: lambda attempt, value, request, now: recovery.check_reset_answer(
        attempt=attempt, answer=value, request=request, now=now
    ),
    Step.SECOND_FACTOR: lambda attempt, value, request, now: recovery.check_reset_second_factor(
        attempt=attempt, code=value, request=request, now=now
    ),
}


def submit_step(
    *, request: HttpRequest, attempt: ResetAttempt, step: Step, value: str, now: dt.datetime
) -> StepResult:
    """The code, the answer or the second-factor code for ``step``."""
    try:
        passed = _CHECKS[step](attempt, value, request, now)
    except recovery.ResetAttemptsExhausted as error:
        recovery.end_reset(request)
        return StepResult(StepOutcome.ENDED, message=error.message)
    except recovery.ResetShortCodesPaused as error:
        recovery.save_reset(request, attempt)
        return StepResult(StepOutcome.REFUSED, message=error.message)
    recovery.save_reset(request, attempt)
    if not passed:
        return StepResult(StepOutcome.WRONG)
    signin.rotate_session_key(request)
    return StepResult(StepOutcome.PASSED, next_step=recovery.current_step(attempt))


def resend_code(*, request: HttpRequest, attempt: ResetAttempt, now: dt.datetime) -> bool:
    """A new code (only the newest works); False when this attempt may not have more."""
    if not recovery.resend_reset_code(attempt=attempt, now=now):
        return False
    recovery.save_reset(request, attempt)
    return True


def set_new_password(
    *, request: HttpRequest, attempt: ResetAttempt, password: str, now: dt.datetime
) -> str:
    """The last step; "" when the password was changed, else why not (the attempt is over)."""
    try:
        recovery.complete_password_reset(
            attempt=attempt, password=password, request=request, now=now
        )
    except DomainError as error:
        return error.message
    return ""
