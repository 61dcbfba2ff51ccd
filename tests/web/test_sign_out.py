"""Signing out: a POST (CSRF-checked) signs out and lands on a page that says so, in English and
Spanish, with a link to sign in again; a GET never signs anyone out."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_signing_out_lands_on_a_page_that_says_so_with_a_way_back_in(client: Client) -> None:
    client.force_login(UserFactory(role="client"))

    response = client.post(reverse("web:logout"), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("web:logout")
    assert response.status_code == 200
    assert not _signed_in(client)
    assert "<h1>You have signed out</h1>" in html
    assert f'href="{reverse("account_login")}"' in html
    assert "Sign in again" in html
    assert "<script" not in html


def test_the_signed_out_page_in_spanish(client: Client) -> None:
    client.force_login(UserFactory(role="client"))
    client.post(reverse("set_language"), {"language": "es", "next": "/"})

    html = client.post(reverse("web:logout"), follow=True).content.decode()

    assert "<h1>Ha cerrado la sesión</h1>" in html
    assert "Iniciar sesión de nuevo" in html


def test_a_get_never_signs_out_and_offers_the_button_instead(client: Client) -> None:
    client.force_login(UserFactory(role="client"))

    response = client.get(reverse("web:logout"))

    html = response.content.decode()
    assert response.status_code == 200
    assert _signed_in(client)
    assert "You have signed out" not in html
    assert f'<form class="stacked-form" method="post" action="{reverse("web:logout")}">' in html


def test_a_cross_site_post_without_the_token_signs_no_one_out() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(role="client"))

    response = client.post(reverse("web:logout"))

    assert response.status_code == 403
    assert _signed_in(client)


def test_cancel_and_start_over_during_an_unfinished_sign_in_goes_back_to_the_sign_in(
    client: Client,
) -> None:
    """The later sign-in steps' "Cancel and start over" posts here before anyone is signed in:
    it ends the attempt and starts over rather than saying "You have signed out"."""
    session = client.session
    session["rx_login_username"] = {"typed": "dana"}
    session.save()

    response = client.post(reverse("web:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "rx_login_username" not in client.session
