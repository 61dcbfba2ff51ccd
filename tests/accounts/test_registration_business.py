"""Clients and advisors: name, organization and role, then the account step; a confirmed work
email opens the general pages at once (no PHI, no second factor required yet)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import Role, SecurityProfile, User
from rxportal.accounts.services import registration
from rxportal.accounts.services.signin import ENROLMENT_REQUIRED_SESSION_KEY
from rxportal.members.models import Member
from tests.accounts.test_registration_support import (
    business_details,
    code_in,
    comparable,
    enter_code,
    sign_up,
)
from tests.accounts.test_signin_support import fresh_cache  # noqa: F401
from tests.factories import MemberFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def start(client: Client, **details: str):
    return client.post(reverse("rx_register_business"), business_details(**details))


@pytest.mark.parametrize("role", [Role.CLIENT, Role.ADVISOR])
def test_a_client_or_advisor_registers_and_gets_general_access_at_once(
    client: Client, role: str
) -> None:
    MemberFactory(first_name="Robin", last_name="Okafor")  # a member with the same name: unrelated

    assert start(client, role=role)["Location"] == reverse("account_signup")
    signup_page = client.get(reverse("account_signup")).content.decode()
    assert "Work email address" in signup_page
    assert sign_up(client, email="Robin@Acme.example")["Location"] == reverse(
        "account_email_verification_sent"
    )
    response = enter_code(client, code_in(mail.outbox[0]))

    user = User.objects.get()
    assert (user.role, user.organization_claim) == (role, "Acme Manufacturing")
    assert (user.first_name, user.last_name) == ("Robin", "Okafor")
    assert user.username == "robin@acme.example"
    assert SecurityProfile.objects.get(user=user).sitekey_image == "teapot"
    assert not Member.objects.filter(user=user).exists()
    # Signed in, with no second factor demanded, and the general (non-member) page shown.
    assert response.status_code == 302
    assert ENROLMENT_REQUIRED_SESSION_KEY not in client.session
    # The dashboard sends them to the client home, which waits for the account team's link.
    assert client.get(reverse("web:dashboard"))["Location"] == reverse("clients:home")
    home = client.get(reverse("clients:home"))
    assert home.status_code == 200
    assert "has not linked your account to a client yet" in home.content.decode()


def test_step_one_keeps_only_work_details_in_the_session(client: Client) -> None:
    start(client)

    state = client.session[registration.REGISTRATION_SESSION_KEY]
    assert state["kind"] == "business"
    assert set(state) == {"kind", "first_name", "last_name", "organization_claim", "role", "at"}


@pytest.mark.parametrize("role", ["member", "admin", "account_team", ""])
def test_only_client_and_advisor_roles_can_be_chosen(client: Client, role: str) -> None:
    response = start(client, role=role)

    assert response.status_code == 200
    assert "Choose" in response.content.decode()
    assert registration.REGISTRATION_SESSION_KEY not in client.session


def test_a_registered_work_email_gets_the_same_flow_and_its_owner_is_told() -> None:
    UserFactory(username="robin", email="robin@acme.example", role=Role.CLIENT)
    pages = {}
    for email in ("robin@acme.example", "new.person@acme.example"):
        client = Client()
        start(client)
        form = client.get(reverse("account_signup"))
        done = sign_up(client, email=email)
        code_page = client.get(done["Location"])
        pages[email] = [
            done["Location"],
            comparable(form.content.decode(), email),
            comparable(code_page.content.decode(), email),
        ]

    assert pages["robin@acme.example"] == pages["new.person@acme.example"]
    assert User.objects.filter(email="robin@acme.example").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["new.person@acme.example", "robin@acme.example"]
    notice = next(m for m in mail.outbox if m.to == ["robin@acme.example"])
    assert "already belongs to an account" in notice.body
