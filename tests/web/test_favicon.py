"""The portal names its icon, and /favicon.ico leads to it (browsers ask for it on any page)."""

from __future__ import annotations

import pytest
from django.templatetags.static import static
from django.test import Client


def test_favicon_ico_redirects_to_the_portal_icon(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == static("web/favicon.svg")


@pytest.mark.django_db
def test_pages_name_the_icon(client: Client) -> None:
    html = client.get("/").content.decode()

    assert f'rel="icon" href="{static("web/favicon.svg")}"' in html
