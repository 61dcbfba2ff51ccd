"""seed_demo gives demo-client and demo-advisor verified links and requests in every stage."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.clients import selectors
from rxportal.clients.models import ClientLink, DesignatedContact
from rxportal.core import clock
from rxportal.demo.services import SeedSummary
from tests.demo.test_seed_demo import seeded  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def test_demo_client_and_advisor_show_every_stage(seeded: SeedSummary) -> None:  # noqa: F811
    client_user = User.objects.get(username="demo-client")
    advisor = User.objects.get(username="demo-advisor")
    now = clock.now()

    assert ClientLink.objects.filter(user=client_user, ended_at__isnull=True).count() == 1
    assert len(selectors.list_linked_clients(viewer=advisor)) == 2
    assert DesignatedContact.objects.exists()
    stages = {
        row.stage
        for user in (client_user, advisor)
        for row in selectors.get_client_home(viewer=user, now=now).requests
    }
    assert stages == {"submitted", "verifying", "approved", "denied", "expired"}
    client_home = selectors.get_client_home(viewer=client_user, now=now)
    assert sum(row.live for row in client_home.grants) == 3
    advisor_home = selectors.get_client_home(viewer=advisor, now=now)
    assert any(row.overdue for row in advisor_home.requests)

    http = HttpClient()
    http.force_login(client_user)
    assert http.get(reverse("clients:home")).status_code == 200
