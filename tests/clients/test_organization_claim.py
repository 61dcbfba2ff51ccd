"""What a client or advisor typed as their organization at sign-up is a claim, never a link:
only the account team's verified ``ClientLink`` opens a client's data."""

from __future__ import annotations

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.clients import selectors
from rxportal.clients.models import Client
from tests.clients.conftest import logged_in, make_user

pytestmark = pytest.mark.django_db


def test_the_user_keeps_the_typed_organization_as_a_claim() -> None:
    assert User._meta.get_field("organization_claim").blank
    with pytest.raises(FieldDoesNotExist):
        User._meta.get_field("organization")


def test_claiming_a_real_clients_name_opens_none_of_its_data(acme: Client) -> None:
    claimant = make_user("claire.claims", "client", organization_claim=acme.name)
    http = logged_in(claimant)
    assert selectors.list_linked_clients(viewer=claimant) == []
    home = http.get(reverse("clients:home")).content.decode()
    assert "has not linked your account" in home
    form_page = http.get(reverse("clients:request_new")).content.decode()
    assert str(acme.public_id) not in form_page
    tool = http.get(reverse("clients:tool", args=[acme.public_id, "drug-trend"]))
    assert tool.status_code == 404


def test_staff_see_the_claim_labelled_as_unverified(client_user: User, agent: User) -> None:
    http = logged_in(agent)
    for url in (
        reverse("staff:clients_queue"),
        reverse("staff:clients_user", args=[client_user.public_id]),
    ):
        html = http.get(url).content.decode()
        assert "Acme Mfg" in html
        assert "Organization they said they work for (not verified)" in html
