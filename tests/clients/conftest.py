"""Client-portal fixtures: one user per role (in their role's group), clients, helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent
from rxportal.clients import services
from rxportal.clients.models import AccessRequest, Client, ClientLink, ToolGrant
from rxportal.core import clock
from tests.factories import ClientFactory

PASSWORD = "Correct-Horse-Battery-Staple-2026"


def make_user(username: str, role: str, **extra: Any) -> User:
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        role=role,
        is_staff=role in {"service_center", "account_team", "admin"},
        **extra,
    )
    services.ensure_role_group(user=user)
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def now() -> dt.datetime:
    return clock.now()


@pytest.fixture
def acme(db: None) -> Client:
    return ClientFactory(name="Acme Manufacturing")


@pytest.fixture
def globex(db: None) -> Client:
    return ClientFactory(name="Globex Health Plan")


@pytest.fixture
def agent(db: None) -> User:
    return make_user("avery.accounts", "account_team")


@pytest.fixture
def second_agent(db: None) -> User:
    return make_user("blake.accounts", "account_team")


@pytest.fixture
def service_agent(db: None) -> User:
    return make_user("sam.service", "service_center")


@pytest.fixture
def member_user(db: None) -> User:
    return make_user("jordan.member", "member")


@pytest.fixture
def client_user(db: None) -> User:
    return make_user("casey.client", "client", organization_claim="Acme Mfg")


@pytest.fixture
def other_client_user(db: None) -> User:
    return make_user("olive.otherclient", "client", organization_claim="Globex")


@pytest.fixture
def advisor(db: None) -> User:
    return make_user("alex.advisor", "advisor", organization_claim="Broker & Co")


@pytest.fixture
def unlinked_advisor(db: None) -> User:
    return make_user("uma.unlinked", "advisor", organization_claim="Someone")


def link(user: User, client: Client, agent: User) -> ClientLink:
    return services.link_user_to_client(
        user=user, client=client, actor=agent, method="called_contact", now=clock.now()
    )


@pytest.fixture
def linked_client_user(client_user: User, acme: Client, agent: User) -> User:
    link(client_user, acme, agent)
    return client_user


@pytest.fixture
def linked_other_client_user(other_client_user: User, globex: Client, agent: User) -> User:
    link(other_client_user, globex, agent)
    return other_client_user


@pytest.fixture
def linked_advisor(advisor: User, acme: Client, globex: Client, agent: User) -> User:
    link(advisor, acme, agent)
    link(advisor, globex, agent)
    return advisor


def submit(user: User, client: Client, tool: str = "eligibility") -> AccessRequest:
    return services.submit_access_request(
        requester=user,
        client=client,
        tool=tool,
        business_reason="Answer member eligibility questions for HR.",
        now=clock.now(),
    )


def approve(access_request: AccessRequest, agent: User) -> ToolGrant:
    services.decide_access_request(
        access_request=access_request,
        actor=agent,
        approve=True,
        reason="Confirmed by the benefits director.",
        method="called_contact",
        now=clock.now(),
    )
    return ToolGrant.objects.get(request=access_request)


def logged_in(user: User) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))
