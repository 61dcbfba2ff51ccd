"""Pages of the web shell: public home, sign-in, member dashboard, language switch, health."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from rxportal.claims.models import AccumulatorScope
from tests.conftest import Family
from tests.factories import (
    DEFAULT_PASSWORD,
    AccumulatorFactory,
    ClaimFactory,
    DrugFactory,
    MemberFactory,
    PharmacyFactory,
    UserFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings) -> None:
    """Sign-in throttles and allauth's rate limits live in the cache: a namespace per test."""
    default = {**settings.CACHES["default"]}
    default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', '')}-web-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {**settings.CACHES, "default": default}


def _html(response) -> str:
    return response.content.decode()


def _enter_username(client: Client, username: str) -> None:
    """Sign-in step 1 (username), then "Can't answer?" at the question, which opens the password
    page without the SiteKey for any name (the question is tested in tests/accounts)."""
    response = client.post(reverse("account_login"), {"username": username})
    assert response.status_code == 200  # the question page itself (issue 16: no redirect)
    assert f'action="{reverse("rx_login_question")}"' in response.content.decode()
    response = client.post(reverse("rx_login_question"), {"action": "skip"})
    assert response["Location"] == reverse("rx_login_password")


def test_home_is_public_and_offers_sign_in(client: Client) -> None:
    response = client.get(reverse("web:home"))

    assert response.status_code == 200
    html = _html(response)
    assert html.count("<main") == 1
    assert "<h1" in html
    assert f'href="{reverse("account_login")}"' in html
    assert "For members" in html and "For clients" in html and "For advisors" in html


def test_home_footer_lists_the_support_lines(client: Client, settings) -> None:
    html = _html(client.get(reverse("web:home")))

    for phone in ("member_phone", "pharmacist_phone", "client_phone"):
        assert settings.RXPORTAL_SUPPORT[phone] in html
    assert 'href="tel:711"' in html


@pytest.mark.parametrize("url_name", ["web:home", "account_login"])
def test_pages_have_no_inline_script_or_style_for_the_csp(client: Client, url_name: str) -> None:
    html = _html(client.get(reverse(url_name)))

    assert "<script" not in html
    assert "style=" not in html
    assert "<style" not in html


def test_dashboard_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(reverse("web:dashboard"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={reverse('web:dashboard')}"


def test_the_old_sign_in_address_redirects_to_the_new_one(client: Client) -> None:
    response = client.get(reverse("web:login") + "?next=/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/dashboard/"


def test_sign_in_form_has_labels_and_autocomplete(client: Client) -> None:
    html = _html(client.get(reverse("account_login")))

    assert '<label for="id_username">' in html
    assert 'autocomplete="username"' in html
    _enter_username(client, "dana")
    html = _html(client.get(reverse("rx_login_password")))
    assert '<label for="id_password">' in html
    assert 'autocomplete="current-password"' in html
    assert 'autocomplete="username"' in html  # the hidden username, for password managers


def test_sign_in_with_a_wrong_password_explains_the_error(client: Client) -> None:
    UserFactory(username="dana")

    _enter_username(client, "dana")
    response = client.post(reverse("rx_login_password"), {"password": "wrong"})

    assert response.status_code == 200
    html = _html(response)
    assert 'role="alert"' in html
    assert "We could not sign you in with that username and password." in html
    assert 'aria-invalid="true"' in html


def test_sign_in_with_empty_fields_marks_each_field(client: Client) -> None:
    html = _html(client.post(reverse("account_login"), {"username": ""}))

    assert html.count("This field is required.") == 1
    assert 'aria-describedby="id_username_error"' in html
    _enter_username(client, "dana")
    html = _html(client.post(reverse("rx_login_password"), {"password": ""}))
    assert html.count("This field is required.") == 1
    assert 'aria-describedby="id_password_error"' in html


def test_sign_in_with_the_right_password_moves_on_to_the_new_device_check(
    client: Client, family: Family
) -> None:
    # The whole staged sign-in (new device, second factor) is tested in tests/accounts.
    user = family.subscriber.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    _enter_username(client, "subscriber")

    response = client.post(reverse("rx_login_password"), {"password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("rx_login_new_device")


def test_sign_out_is_a_post_and_says_so(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    assert client.get(reverse("web:logout")).status_code == 200  # a page, not a sign-out
    assert client.get(reverse("web:dashboard")).status_code == 200
    response = client.post(reverse("web:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("web:logout")
    assert client.get(reverse("web:dashboard")).status_code == 302


def test_dashboard_shows_plan_accumulators_and_family_claims(
    client: Client, family: Family, today: dt.date
) -> None:
    plan = family.subscriber.plan
    AccumulatorFactory(member=family.subscriber, deductible_met=D("100.00"), oop_met=D("1234.56"))
    AccumulatorFactory(
        member=family.subscriber, scope=AccumulatorScope.FAMILY, deductible_met=D("180.00")
    )
    ClaimFactory(
        member=family.subscriber,
        drug=DrugFactory(name="Atorvastatin 20 MG Oral Tablet"),
        pharmacy=PharmacyFactory(name="Elm Street Pharmacy"),
        member_paid=D("12.34"),
        plan_paid=D("1100.00"),
    )
    ClaimFactory(member=family.minor_child, drug=DrugFactory(name="Amoxicillin 250 MG Chewable"))
    client.force_login(family.subscriber.user)

    response = client.get(reverse("web:dashboard"))

    assert response.status_code == 200
    html = _html(response)
    for text in (plan.name, plan.rx_bin, plan.rx_pcn, plan.rx_group, family.subscriber.member_id):
        assert text in html
    assert "$100.00 of $250.00 used, $150.00 left" in html
    assert "$1,234.56 of $3,000.00 used, $1,765.44 left" in html
    assert "$180.00 of $500.00 used, $320.00 left" in html
    assert re.search(r'<progress id="individual-deductible" max="250.00" value="100.00"', html)
    assert "Atorvastatin 20 MG Oral Tablet" in html
    assert "Elm Street Pharmacy" in html
    assert "$12.34" in html and "$1,100.00" in html
    assert "Amoxicillin 250 MG Chewable" in html


def test_dashboard_hides_other_members_claims(client: Client, family: Family) -> None:
    ClaimFactory(member=family.adult_child, drug=DrugFactory(name="Adult Child Drug"))
    ClaimFactory(member=family.spouse, drug=DrugFactory(name="Spouse Drug"))
    ClaimFactory(member=MemberFactory(), drug=DrugFactory(name="Stranger Drug"))
    client.force_login(family.subscriber.user)

    html = _html(client.get(reverse("web:dashboard")))

    assert "Adult Child Drug" not in html
    assert "Spouse Drug" not in html
    assert "Stranger Drug" not in html
    assert "No claims yet." in html


def test_dashboard_is_never_cached(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    response = client.get(reverse("web:dashboard"))

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("role", ["client", "advisor"])
def test_signed_in_clients_and_advisors_go_to_the_client_home(client: Client, role: str) -> None:
    client.force_login(UserFactory(role=role))

    response = client.get(reverse("web:dashboard"))

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:home")


def test_a_signed_in_non_member_without_a_portal_gets_a_friendly_page(client: Client) -> None:
    client.force_login(UserFactory(role="admin"))

    response = client.get(reverse("web:dashboard"))

    assert response.status_code == 200
    html = _html(response)
    assert "Member tools are for plan members" in html
    assert reverse("admin:index") not in html


def test_staff_on_the_non_member_page_get_a_link_to_the_back_office(client: Client) -> None:
    client.force_login(UserFactory(role="account_team", is_staff=True))

    html = _html(client.get(reverse("web:dashboard")))

    assert "Member tools are for plan members" in html
    assert f'href="{reverse("admin:index")}"' in html


def test_language_switch_renders_spanish(client: Client, family: Family) -> None:
    AccumulatorFactory(member=family.subscriber, deductible_met=D("100.00"))
    client.force_login(family.subscriber.user)

    response = client.post(
        reverse("set_language"), {"language": "es", "next": reverse("web:dashboard")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:dashboard")
    html = _html(client.get(reverse("web:dashboard")))

    assert '<html lang="es">' in html
    assert "Hola, Dana" in html
    assert "Su plan" in html
    assert "$100.00 de $250.00 usados, quedan $150.00" in html
    assert "Cerrar sesión" in html
    assert 'value="100.00"' in html  # progress values are never localized (no "100,00")


def test_browsers_asking_for_spanish_get_spanish(client: Client) -> None:
    html = _html(client.get(reverse("web:home"), headers={"accept-language": "es-US,es;q=0.9"}))

    assert '<html lang="es">' in html
    assert "Sus beneficios de farmacia, en un solo lugar" in html
    assert "¿Necesita ayuda?" in html


def test_spanish_sign_in_errors_are_ours_not_djangos(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "es", "next": "/"})

    assert '<label for="id_username">Nombre de usuario</label>' in _html(
        client.get(reverse("account_login"))
    )
    _enter_username(client, "nadie")
    html = _html(client.post(reverse("rx_login_password"), {"password": "x"}))

    assert "No pudimos iniciar su sesión con ese usuario y contraseña." in html
    assert '<label for="id_password">Contraseña</label>' in html
    assert "introduzca" not in html  # Django's own (Spain Spanish) wording


def test_healthz_reports_database_and_cache(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
