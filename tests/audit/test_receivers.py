"""Django's sign-in signals become audit events, without credentials."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import authenticate, login, logout
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.test import RequestFactory

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent
from rxportal.audit.services import username_digest
from tests.audit.conftest import PASSWORD

pytestmark = pytest.mark.django_db

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) rxportal-test"


def _request() -> HttpRequest:
    request = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=USER_AGENT
    )
    request.session = SessionStore()
    return request


def _row_text(event: AuditEvent) -> str:
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    return json.dumps(row, default=str)


def test_successful_sign_in_is_recorded_with_ip_and_user_agent(member_user: User) -> None:
    request = _request()
    user = authenticate(request, username="dana.member", password=PASSWORD)
    assert user is not None

    login(request, user)

    event = AuditEvent.objects.get(action="auth.login.succeeded")
    assert event.outcome == "success"
    assert event.actor == member_user
    assert event.actor_username == "dana.member"
    assert event.actor_role == "member"
    assert (event.subject_type, event.subject_id) == ("accounts.user", str(member_user.public_id))
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == USER_AGENT
    assert PASSWORD not in _row_text(event)


def test_failed_sign_in_is_recorded_with_a_digest_of_the_username(member_user: User) -> None:
    request = _request()

    assert authenticate(request, username="dana.member", password="Wrong-Password-123") is None

    event = AuditEvent.objects.get(action="auth.login.failed")
    assert event.outcome == "failure"
    assert event.actor is None
    assert event.actor_username == ""
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == USER_AGENT
    assert event.details == {"username_digest": username_digest("dana.member")}
    text = _row_text(event)
    assert "dana.member" not in text
    assert "Wrong-Password-123" not in text


def test_a_password_typed_as_username_is_never_stored(member_user: User) -> None:
    authenticate(_request(), username=PASSWORD, password="")

    event = AuditEvent.objects.get(action="auth.login.failed")
    assert PASSWORD not in _row_text(event)


def test_failed_sign_in_without_a_request_is_still_recorded() -> None:
    assert authenticate(username="nobody", password="Wrong-Password-123") is None

    event = AuditEvent.objects.get(action="auth.login.failed")
    assert event.ip_address is None
    assert event.user_agent == ""


def test_sign_out_is_recorded(member_user: User) -> None:
    request = _request()
    login(request, member_user, backend="django.contrib.auth.backends.ModelBackend")
    request.user = member_user

    logout(request)

    event = AuditEvent.objects.get(action="auth.logout")
    assert event.actor == member_user
    assert event.ip_address == "203.0.113.7"


def test_anonymous_sign_out_records_nothing() -> None:
    from django.contrib.auth.models import AnonymousUser

    request = _request()
    request.user = AnonymousUser()

    logout(request)

    assert not AuditEvent.objects.exists()


def test_sign_in_through_the_test_client_is_recorded(client: object, member_user: User) -> None:
    client.force_login(member_user)  # type: ignore[attr-defined]

    assert AuditEvent.objects.filter(action="auth.login.succeeded", actor=member_user).exists()
