"""Sign-in, recovery and My Account send clients and advisors to client services, members to
member services; before sign-in both lines are shown, labelled (no hint of whose username)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.accounts.test_myaccount import sign_in
from tests.accounts.test_signin_support import (
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    make_user,
)
from tests.factories import ClientFactory, MemberFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

MEMBER_PHONE = settings.RXPORTAL_SUPPORT["member_phone"]
CLIENT_PHONE = settings.RXPORTAL_SUPPORT["client_phone"]
BOTH = (
    f"Members: call member services at {MEMBER_PHONE}. "
    f"Clients and advisors: call client services at {CLIENT_PHONE}."
)


@pytest.mark.parametrize(
    "name", ["rx_identify", "rx_password_reset", "rx_forgot_username", "rx_forgot_username_sent"]
)
def test_pages_before_sign_in_show_both_lines_labelled(client: Client, name: str) -> None:
    html = html_of(client.get(reverse(name)))

    assert BOTH in html


@pytest.mark.parametrize("role", ["client", "advisor", "member"])
def test_the_password_step_does_not_tell_whose_username_it_is(client: Client, role: str) -> None:
    make_user(username="dana", role=role)

    response = enter_username(client, "dana")

    page = client.get(response["Location"]) if response.status_code == 302 else response
    html = html_of(page)
    assert BOTH in html


@pytest.mark.parametrize("role", ["client", "advisor"])
def test_my_account_sends_clients_and_advisors_to_client_services(
    client: Client, role: str
) -> None:
    make_user(username="dana", role=role)
    sign_in(client)

    html = html_of(client.get(reverse("rx_myaccount")))

    assert f"To change them, call client services at {CLIENT_PHONE}" in html
    assert f"Change your password now and call client services at {CLIENT_PHONE}" in html
    assert "call member services" not in html.split('<footer class="site-footer">')[0]


def test_my_account_gives_a_member_the_number_on_their_card(client: Client) -> None:
    member = MemberFactory(
        user=UserFactory(username="dana"),
        client=ClientFactory(member_services_phone="1-800-555-0150"),
    )
    client.force_login(member.user)

    html = html_of(client.get(reverse("rx_myaccount")))

    assert "To change them, call member services at 1-800-555-0150" in html
    assert "call client services" not in html.split('<footer class="site-footer">')[0]


def test_the_already_registered_notice_gives_the_member_the_number_on_their_card(
    client: Client,
) -> None:
    from django.core import mail

    from tests.accounts.test_registration import register
    from tests.accounts.test_registration_support import adult_member

    owner = UserFactory(username="dana", email="owner@example.org")
    registered = adult_member(
        user=owner, client=ClientFactory(member_services_phone="1-800-555-0150")
    )

    register(client, registered, email="someone@example.org")

    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
    assert "call member services at 1-800-555-0150" in mail.outbox[0].body
