"""Branded 404 and 500 pages: the site's navigation, a way on, and the help lines."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import translation

from rxportal import urls
from rxportal.core.views import server_error
from tests.factories import ClientFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db
BROKEN = "/broken-for-tests/"


def test_the_error_handlers_are_the_portals_and_the_400_one_is_kept() -> None:
    assert urls.handler404 == "rxportal.core.views.page_not_found"
    assert urls.handler500 == "rxportal.core.views.server_error"
    assert urls.handler400 == "rxportal.core.views.bad_request"


def test_an_unknown_address_is_a_branded_404_with_a_way_on(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>We can't find that page</h1>" in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert 'action="/i18n/setlang/"' in html  # the language switch
    assert 'action="/drugs/"' in html and 'name="q"' in html
    assert 'href="/"' in html
    support = settings.RXPORTAL_SUPPORT
    assert f"Members: call member services at {support['member_phone']}" in html
    assert f"Clients and advisors: call client services at {support['client_phone']}" in html


def test_a_signed_in_members_404_gives_the_number_on_their_card(client: Client) -> None:
    member = MemberFactory(
        user=UserFactory(), client=ClientFactory(member_services_phone="1-800-555-0150")
    )
    client.force_login(member.user)

    html = client.get("/no-such-page/").content.decode()

    assert "Call member services at 1-800-555-0150." in html
    assert 'href="tel:1-800-555-0150"' in html


def test_the_404_page_is_in_spanish(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = client.get("/no-such-page/")

    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "No encontramos esa página" in html
    assert "Miembros: llame a servicios para miembros" in html


@pytest.mark.urls("tests.core.error_urls")
def test_a_failing_page_is_a_branded_500(client: Client) -> None:
    client.raise_request_exception = False

    response = client.get(BROKEN)

    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong on our side</h1>" in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert 'name="csrfmiddlewaretoken"' in html  # the language switch still posts
    assert 'action="/drugs/"' in html
    assert f'href="tel:{settings.RXPORTAL_SUPPORT["member_phone"]}"' in html
    assert "boom" not in html


@pytest.mark.urls("tests.core.error_urls")
def test_the_500_page_is_in_the_visitors_language(client: Client) -> None:
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    html = client.get(BROKEN).content.decode()

    assert '<html lang="es">' in html
    assert "Algo salió mal de nuestro lado" in html
    assert "Las 24 horas del día" in html  # the hours from settings, translated


def test_the_500_page_reads_no_database_and_no_user(django_assert_num_queries) -> None:
    request = RequestFactory().get("/somewhere/")
    # Neither the session nor the user middleware ran: nothing to look up.
    assert not hasattr(request, "user")

    with translation.override("es"), django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    html = response.content.decode()
    assert "Algo salió mal de nuestro lado" in html
    assert settings.RXPORTAL_SUPPORT["client_phone"] in html
    assert "Cerrar sesión" not in html  # no signed-in navigation


# --- 403: the same branded page for the consoles' refusals and for PermissionDenied anywhere ---


def test_the_403_handler_is_the_portals() -> None:
    assert urls.handler403 == "rxportal.core.views.permission_denied"


def _signed_in_in_role_group(client: Client, role: str) -> None:
    from rxportal.clients.services import ensure_role_group

    user = UserFactory(role=role, is_staff=role != "client")
    ensure_role_group(user=user)
    client.force_login(user)


def test_a_signed_in_non_editor_gets_the_branded_403_at_the_cms(client: Client) -> None:
    _signed_in_in_role_group(client, "client")

    response = client.get("/cms/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Not available to your role</h1>" in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert 'href="/help/"' in html  # a way to help: the help center and the phone line
    assert settings.RXPORTAL_SUPPORT["client_phone"] in html
    assert 'href="/clients/"' in html  # back to where this user's pages are


def test_the_403_page_leads_staff_back_to_their_console(client: Client) -> None:
    _signed_in_in_role_group(client, "service_center")

    response = client.get("/clients/")

    assert response.status_code == 403
    assert 'href="/staff/"' in response.content.decode()


def test_the_403_page_is_in_spanish(client: Client) -> None:
    _signed_in_in_role_group(client, "client")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    html = client.get("/cms/").content.decode()

    assert '<html lang="es">' in html
    assert "<h1>No disponible para su rol</h1>" in html and "Centro de ayuda" in html


@pytest.mark.parametrize("refused", ["404", "403"])
def test_an_error_page_never_echoes_the_query_string(client: Client, refused: str) -> None:
    """The language switch on an error page returns to the path alone: a refused back-office
    search or an unknown address may carry a member's name in its query string."""
    if refused == "403":
        _signed_in_in_role_group(client, "client")
        path = "/cms/"
    else:
        path = "/no-such-page/"

    response = client.get(path, {"term": "Quixote"})

    assert response.status_code == int(refused)
    html = response.content.decode()
    assert "Quixote" not in html
    assert f'name="next" value="{path}"' in html
