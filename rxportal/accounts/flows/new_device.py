"""The new-device check after the password, when the question was not answered first
("Can't answer?"): a code by email or text message proves the browser.

1. ``begin``: the check for this sign-in (its code state lives in the login stage's state).
2. ``send_code``: one code by the chosen channel; the stage is stashed so a reload resumes.
3. ``check_code``: right, the browser is remembered, the session id rotates (this check is a
   factor too) and the view hands over the device cookie; wrong, the person tries again; too
   many wrong, the sign-in is over and starts again at the username (audited).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from allauth.account.internal.stagekit import clear_login, stash_login
from allauth.account.stages import LoginStage
from django.http import HttpRequest

from rxportal.accounts.flows.signin import stage_user
from rxportal.accounts.services import devices, signin


class CodeOutcome(StrEnum):
    PASSED = "passed"
    WRONG = "wrong"  # try again
    EXHAUSTED = "exhausted"  # too many wrong codes: the sign-in is over


@dataclass(frozen=True)
class CodeCheck:
    outcome: CodeOutcome
    device_cookie: str = ""  # set when passed: the remembered-browser cookie's value


def begin(*, request: HttpRequest, stage: LoginStage) -> devices.NewDeviceCheck:
    """The check waiting for this sign-in (which channels it may use)."""
    check = devices.start_check(user=stage_user(stage), state=stage.state)
    stash_login(request, stage.login)
    return check


def send_code(
    *,
    request: HttpRequest,
    stage: LoginStage,
    channel: Literal["email", "sms"],
    now: dt.datetime,
) -> bool:
    """A code by ``channel``; False when that way is not open to this account."""
    sent = devices.send_check_code(
        user=stage_user(stage), state=stage.state, channel=channel, now=now
    )
    stash_login(request, stage.login)
    return sent


def check_code(
    *, request: HttpRequest, stage: LoginStage, code: str, now: dt.datetime
) -> CodeCheck:
    user = stage_user(stage)
    if devices.verify_check_code(user=user, state=stage.state, code=code, request=request, now=now):
        _device, cookie_value = devices.complete_check(
            user=user, request=request, method="code", now=now
        )
        # This check is a factor too: a new session id before the next stage (or sign-in).
        signin.rotate_session_key(request)
        return CodeCheck(CodeOutcome.PASSED, device_cookie=cookie_value)
    if devices.attempts_exhausted(state=stage.state):
        devices.record_exhausted_check(user=user, request=request)
        clear_login(request)
        return CodeCheck(CodeOutcome.EXHAUSTED)
    stash_login(request, stage.login)
    return CodeCheck(CodeOutcome.WRONG)
