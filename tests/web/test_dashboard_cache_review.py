"""From the hostile review of the dashboard cache: the request's CSRF token goes only into the
form's hidden field, never into text that happens to spell the placeholder."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.orders.models import OrderStatus
from rxportal.web.dashboard_cache import CSRF_PLACEHOLDER
from tests.conftest import Family
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db
URL = reverse("web:dashboard")


def test_a_tracking_number_spelling_the_placeholder_never_receives_the_csrf_token(
    client: Client, family: Family
) -> None:
    make_order(
        member=family.subscriber,
        status=OrderStatus.SHIPPED,
        carrier="UPS",
        tracking_number=CSRF_PLACEHOLDER,
    )
    assert family.subscriber.user is not None
    client.force_login(family.subscriber.user)

    for _ in range(2):  # the first view fills the cache, the second is served from it
        html = client.get(URL).content.decode()
        href = re.search(r'href="(https://[^"]*ups[^"]*)"', html)
        assert href is not None
        assert href.group(1).endswith(f"={CSRF_PLACEHOLDER}")
        fields = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert fields
        assert CSRF_PLACEHOLDER not in fields


def test_the_bump_of_a_bulk_drug_import_shows_the_new_name_at_once(
    client: Client, family: Family
) -> None:
    from rxportal.formulary import services as formulary_services
    from tests.factories import ClaimFactory, DrugFactory

    drug = DrugFactory(name="Oldnameol")
    ClaimFactory(member=family.subscriber, drug=drug)
    assert family.subscriber.user is not None
    client.force_login(family.subscriber.user)
    client.get(URL)
    assert "Oldnameol" in client.get(URL).content.decode()

    # What an import does: a bulk upsert (no signals), inside the import service's bump.
    from rxportal.core.importing import Upserter
    from rxportal.formulary.models import Drug

    upsert = Upserter(Drug.objects.filter(pk=drug.pk), key=("rxcui",), fields=("name",))
    upsert.put({"rxcui": drug.rxcui, "name": "Newnameol"})
    upsert.flush()
    formulary_services.bump_all_records()

    html = client.get(URL).content.decode()
    assert "Newnameol" in html
    assert "Oldnameol" not in html
