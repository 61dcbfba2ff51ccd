"""The public help center at /help/: Wagtail pages in English and Spanish, open to everyone,
searchable, filtered by audience, with phone numbers from the one source (core/contact.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from rxportal.accounts.models import Role
from rxportal.content.help_models import (
    HelpContactPage,
    HelpFaqPage,
    HelpHomePage,
    HelpTutorialPage,
)
from rxportal.content.help_seeding import seed_help
from tests.content.conftest import signed_in, user_with_role
from tests.factories import ClientFactory, MemberFactory, UserFactory

HELP_MODELS = (HelpFaqPage, HelpTutorialPage, HelpContactPage, HelpHomePage)


def _remove_help() -> None:
    for home in HelpHomePage.objects.all():
        home.delete()


@pytest.fixture(scope="module")
def help_seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Seeded once per module (publishing pages is slow); each test rolls back its own changes."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            seed_help()
        yield
        with transaction.atomic():
            _remove_help()


@pytest.fixture
def help_center(help_seeded: None, db: None) -> None:
    return None


def _spanish(client: Client) -> Client:
    client.post("/i18n/setlang/", {"language": "es", "next": "/help/"})
    return client


@pytest.mark.parametrize("who", ["anonymous", "member", "client", "advisor"])
def test_the_help_center_is_open_to_everyone_signed_in_or_not(help_center: None, who: str) -> None:
    client = Client() if who == "anonymous" else signed_in(user_with_role(who))
    for path in (
        "/help/",
        "/help/forgot-password/",
        "/help/contact/",
        "/help/reset-your-password/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_the_home_groups_questions_by_topic_and_lists_tutorials(help_center: None) -> None:
    html = Client().get("/help/").content.decode()
    assert "Help center" in html
    for heading in ("Registering", "Access requests", "Locked out", "The mobile app"):
        assert f"<h3>{heading}</h3>" in html
    assert 'href="/help/why-do-access-requests-take-10-days/"' in html
    assert "Reset your password" in html


def test_a_question_shows_its_answer(help_center: None) -> None:
    html = Client().get("/help/locked-out/").content.decode()
    assert "<h1>I&#x27;m locked out. How long does it last?</h1>" in html
    assert "Every lock ends by itself" in html


def test_a_tutorial_shows_its_steps_in_order(help_center: None) -> None:
    html = Client().get("/help/sign-in-on-a-new-browser/").content.decode()
    steps = ["Enter your username", "Answer your security question", "Check your SiteKey"]
    positions = [html.index(step) for step in steps]
    assert positions == sorted(positions)
    assert html.count("<li><h2>") == 4


def test_switching_to_spanish_serves_the_spanish_tree_at_the_same_addresses(
    help_center: None,
) -> None:
    client = _spanish(Client())
    home = client.get("/help/").content.decode()
    assert '<html lang="es">' in home
    assert "Centro de ayuda" in home
    assert "Solicitudes de acceso" in home
    answer = client.get("/help/why-do-access-requests-take-10-days/").content.decode()
    assert "10 días calendario" in answer
    assert "10 calendar days" not in answer
    steps = client.get("/help/reset-your-password/").content.decode()
    assert "Ingrese el código" in steps


def test_search_finds_answers_by_their_text(help_center: None) -> None:
    html = Client().get("/help/", {"q": "cookies"}).content.decode()
    results = html.split('id="help-results-heading"')[1].split("</section>")[0]
    assert "/help/browsers-and-cookies/" in results
    assert "/help/forgot-username/" not in results


def test_search_in_spanish_searches_the_spanish_pages(help_center: None) -> None:
    html = _spanish(Client()).get("/help/", {"q": "bloqueada"}).content.decode()
    results = html.split('id="help-results-heading"')[1].split("</section>")[0]
    assert "/help/locked-out/" in results
    assert "bloqueada" in results.lower()


def test_the_audience_filter_keeps_that_audience_and_everyone(help_center: None) -> None:
    members = Client().get("/help/", {"audience": "members"}).content.decode()
    assert "/help/mobile-app/" in members
    assert "/help/forgot-password/" in members
    assert "/help/why-do-access-requests-take-10-days/" not in members
    assert "/help/request-a-secure-tool/" not in members
    clients = Client().get("/help/", {"audience": "clients"}).content.decode()
    assert "/help/why-do-access-requests-take-10-days/" in clients
    assert "/help/mobile-app/" not in clients
    # Filtering never hides a page: every one stays public.
    assert Client().get("/help/mobile-app/").status_code == 200


def test_an_unpublished_question_is_not_found(help_center: None) -> None:
    question = HelpFaqPage.objects.get(slug="locked-out", locale__language_code="en")
    question.unpublish()
    assert Client().get("/help/locked-out/").status_code == 404
    assert "/help/locked-out/" not in Client().get("/help/").content.decode()


def test_hub_pages_are_not_reachable_through_help(help_center: None) -> None:
    assert Client().get("/help/news/").status_code == 404


def _contact_lines(html: str) -> str:
    return html.split('class="support-lines help-contact"')[1].split("</dl>")[0]


def test_the_contact_page_takes_numbers_and_hours_from_settings(
    help_center: None, settings: Any
) -> None:
    settings.RXPORTAL_SUPPORT = {
        **settings.RXPORTAL_SUPPORT,
        "member_phone": "1-800-555-0199",
        "client_phone": "1-800-555-0198",
        "client_hours": "Weekdays only, test hours",
    }
    lines = _contact_lines(Client().get("/help/contact/").content.decode())
    # Not signed in: both lines, labelled.
    assert "Member services (members and their families)" in lines
    assert "1-800-555-0199" in lines
    assert "Client services (plan sponsors and advisors)" in lines
    assert "1-800-555-0198" in lines
    assert "Weekdays only, test hours" in lines
    # No number lives in Wagtail's fields.
    assert not any(
        re.search(r"\d-\d{3}-\d{3}-\d{4}", str(page.specific.intro))
        for page in HelpContactPage.objects.all()
    )


def test_the_contact_page_shows_a_signed_in_viewer_their_own_line(
    help_center: None, settings: Any
) -> None:
    member_line, client_line = (
        settings.RXPORTAL_SUPPORT["member_phone"],
        settings.RXPORTAL_SUPPORT["client_phone"],
    )
    client_lines = _contact_lines(
        signed_in(user_with_role(Role.CLIENT)).get("/help/contact/").content.decode()
    )
    assert "Your client services line" in client_lines
    assert client_line in client_lines
    assert member_line not in client_lines
    member = MemberFactory(
        user=UserFactory(), client=ClientFactory(member_services_phone="1-800-555-0177")
    )
    member_lines = _contact_lines(signed_in(member.user).get("/help/contact/").content.decode())
    assert "Your member services line" in member_lines
    assert "1-800-555-0177" in member_lines  # the sponsor's own line, as on the ID card
    assert client_line not in member_lines


def test_seeding_twice_creates_nothing_new(help_center: None) -> None:
    before = {model: model.objects.count() for model in HELP_MODELS}
    summary = seed_help()
    assert summary.created_pages == 0
    assert {model: model.objects.count() for model in HELP_MODELS} == before
    # Both languages of every page exist.
    assert HelpFaqPage.objects.filter(locale__language_code="es").count() == (
        HelpFaqPage.objects.filter(locale__language_code="en").count()
    )
    assert HelpHomePage.objects.filter(depth=2).count() == 2


def test_links_to_the_help_center_from_the_footer_sign_in_and_404(help_center: None) -> None:
    client = Client()
    for path in ("/", "/accounts/login/", "/no-such-page/"):
        response = client.get(path)
        assert 'href="/help/"' in response.content.decode(), path
