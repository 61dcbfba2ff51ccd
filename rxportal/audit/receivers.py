"""Edges from Django's authentication signals to ``record_event``.

Credentials never reach the trail: on failure only a keyed digest of the attempted username is
kept (people type their password into the username box), and Django has already masked the
password in ``credentials``; we read nothing else from it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from rxportal.audit import domain
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event, username_digest


def record_login(
    sender: Any, *, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any
) -> None:
    record_event(
        action=domain.AUTH_LOGIN_SUCCEEDED,
        outcome=Outcome.SUCCESS,
        actor=user,
        request=request,
        subject=user,
    )


def record_logout(
    sender: Any, *, request: HttpRequest | None, user: AbstractBaseUser | None, **kwargs: Any
) -> None:
    if user is None:  # logging out an anonymous session is not an event
        return
    record_event(
        action=domain.AUTH_LOGOUT,
        outcome=Outcome.SUCCESS,
        actor=user,
        request=request,
        subject=user,
    )


def record_login_failure(
    sender: Any,
    *,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    attempted = _attempted_username(credentials)
    details = {"username_digest": username_digest(attempted)} if attempted else {}
    record_event(
        action=domain.AUTH_LOGIN_FAILED,
        outcome=Outcome.FAILURE,
        request=request,
        details=details,
    )


def _attempted_username(credentials: dict[str, Any]) -> str:
    for key in (get_user_model().USERNAME_FIELD, "username", "email", "login"):
        value = credentials.get(key)
        if isinstance(value, str) and value:
            return value
    return ""
