"""The client/advisor caller lookup matches the organization against the user's verified links
(the clients' names) when they have live links, and against what they typed otherwise."""

from __future__ import annotations

import pytest

from rxportal.accounts.models import User
from rxportal.accounts.selectors import find_client_user_for_caller
from rxportal.clients import services as client_services
from rxportal.clients.models import Client
from rxportal.core import clock
from tests.factories import ClientFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent() -> User:
    return make_user("avery.accounts", "account_team")


@pytest.fixture
def service_agent() -> User:
    return make_user("sam.service", "service_center")


@pytest.fixture
def acme() -> Client:
    return ClientFactory(name="Acme Manufacturing")


@pytest.fixture
def globex() -> Client:
    return ClientFactory(name="Globex Health Plan")


def _advisor() -> User:
    # What they typed at sign-up is not who the account team verified them for.
    return make_user(
        "ari.advisor",
        "advisor",
        first_name="Ari",
        last_name="Adams",
        organization_claim="Typed Brokerage LLC",
    )


def _find(viewer: User, organization: str) -> User | None:
    return find_client_user_for_caller(
        viewer=viewer,
        email="ari.advisor@example.org",
        organization=organization,
        first_name="Ari",
        last_name="Adams",
    )


def _link(user: User, client: Client, agent: User) -> None:
    client_services.link_user_to_client(
        user=user, client=client, actor=agent, method="called_contact", now=clock.now()
    )


def test_an_unlinked_caller_matches_the_organization_they_claimed(service_agent: User) -> None:
    advisor = _advisor()

    assert _find(service_agent, "typed brokerage llc") == advisor
    assert _find(service_agent, "Acme Manufacturing") is None


def test_a_linked_caller_matches_any_linked_client_and_not_the_claim(
    service_agent: User, agent: User, acme: Client, globex: Client
) -> None:
    advisor = _advisor()
    _link(advisor, acme, agent)
    _link(advisor, globex, agent)

    assert _find(service_agent, "acme  manufacturing") == advisor
    assert _find(service_agent, "Globex Health Plan") == advisor
    assert _find(service_agent, "Typed Brokerage LLC") is None


def test_an_ended_link_no_longer_matches(
    service_agent: User, agent: User, acme: Client, globex: Client
) -> None:
    advisor = _advisor()
    _link(advisor, acme, agent)
    _link(advisor, globex, agent)
    advisor.client_links.filter(client=acme).update(ended_at=clock.now())

    assert _find(service_agent, "Acme Manufacturing") is None
    assert _find(service_agent, "Globex Health Plan") == advisor
