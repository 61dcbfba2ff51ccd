"""The hub's pages: new since the last visit, webinars (registration, calendar file), rich text
sanitized, the language switch, /cms/ for content editors only, and the seed command."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from rxportal.content import demo_content
from rxportal.content.models import HubVisit, NewsPage, WebinarPage, WebinarRegistration
from rxportal.content.seeding import CONTENT_EDITORS_GROUP
from rxportal.core import clock
from tests.content.conftest import Hub, publish_item, signed_in, user_with_role

pytestmark = pytest.mark.django_db


def _new_titles(response) -> list[str]:
    html = response.content.decode()
    new_section = html.split('id="new-heading"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<h3><a [^>]*>([^<]+)</a>", new_section)


def test_hub_home_shows_what_is_new_since_the_last_visit(hub: Hub, client_user) -> None:
    first = signed_in(client_user)
    response = first.get("/hub/")
    assert response.status_code == 200
    assert "Latest" in response.content.decode()
    assert "newspage for clients" in _new_titles(response)
    assert "newspage for advisors" not in _new_titles(response)
    first_visit = HubVisit.objects.get(user=client_user).last_visit_at

    publish_item(hub.section_for("newspage"), NewsPage, title="Fresh news", audience="both")
    publish_item(
        hub.section_for("newspage"), NewsPage, title="Fresh for advisors", audience="advisors"
    )

    second = signed_in(client_user)  # a new session: a new visit
    response = second.get("/hub/")
    assert "New since your last visit" in response.content.decode()
    assert _new_titles(response) == ["Fresh news"]
    # Reloading in the same session keeps the same "since", so the list does not vanish.
    assert _new_titles(second.get("/hub/")) == ["Fresh news"]
    assert HubVisit.objects.get(user=client_user).last_visit_at > first_visit


def test_the_next_session_starts_from_the_last_visit(
    hub: Hub, client_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_in(client_user).get("/hub/")
    later = clock.now() + dt.timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: later)

    response = signed_in(client_user).get("/hub/")

    assert _new_titles(response) == []
    assert "Nothing new since your last visit" in response.content.decode()
    assert HubVisit.objects.get(user=client_user).last_visit_at == later


def test_rich_text_is_sanitized_when_rendered(hub: Hub, client_user) -> None:
    item = publish_item(
        hub.section_for("newspage"),
        NewsPage,
        title="Hostile body",
        audience="both",
        body=(
            '<p>Safe <b>bold</b> text<script>alert("x")</script></p>'
            '<p onclick="alert(1)"><a href="javascript:alert(2)">bad link</a></p>'
            "<iframe src='https://example.com'></iframe><style>p{}</style>"
            '<p><a href="https://www.example.org/">good link</a></p>'
        ),
    )
    html = signed_in(client_user).get(item.url).content.decode()
    body = html.split('class="hub-body"', 1)[1].split("</article>", 1)[0]
    assert "<script" not in body
    assert "alert" not in body.replace("&quot;", "")
    assert "onclick" not in body
    assert "javascript:" not in body
    assert "<iframe" not in body
    assert "<style" not in body
    assert "<b>bold</b>" in body
    assert '<a href="https://www.example.org/">good link</a>' in body


def test_registering_for_an_upcoming_webinar_keeps_one_registration(hub: Hub, client_user) -> None:
    webinar = hub.items["webinarpage"]["both"]
    client = signed_in(client_user)
    assert "Register" in client.get(webinar.url).content.decode()

    first = client.post(webinar.url)
    second = client.post(webinar.url)

    assert first.status_code == second.status_code == 302
    assert WebinarRegistration.objects.filter(user=client_user).count() == 1
    assert "You are registered for this webinar." in client.get(webinar.url).content.decode()


def test_a_registration_counts_in_both_languages(hub: Hub, client_user) -> None:
    from wagtail.models import Locale

    webinar = hub.items["webinarpage"]["both"]
    spanish = webinar.copy_for_translation(Locale.objects.get(language_code="es"))
    spanish.save_revision().publish()
    client = signed_in(client_user)
    client.post(webinar.url)
    client.cookies["django_language"] = "es"
    html = client.get(webinar.url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Usted está inscrito en este seminario web." in html


def test_a_past_webinar_offers_its_recording_and_refuses_registration(
    hub: Hub, client_user
) -> None:
    starts = clock.now() - dt.timedelta(days=30)
    webinar = publish_item(
        hub.section_for("webinarpage"),
        WebinarPage,
        title="Past session",
        audience="clients",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        recording_url="https://www.example.org/recording",
    )
    client = signed_in(client_user)
    html = client.get(webinar.url).content.decode()
    assert "https://www.example.org/recording" in html
    assert "calendar" not in html.split('class="panel"', 1)[1].split("</div>", 1)[0]

    response = client.post(webinar.url, follow=True)
    assert "registration is closed" in response.content.decode()
    assert not WebinarRegistration.objects.exists()


def test_the_calendar_file_is_served_to_the_audience_only(hub: Hub, client_user) -> None:
    webinar = hub.items["webinarpage"]["clients"]
    response = signed_in(client_user).get(f"{webinar.url}calendar/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="webinar-{webinar.slug}.ics"'
    body = response.content.decode()
    assert f"UID:webinar-{webinar.translation_key}@rxportal\r\n" in body
    assert f"DTSTART:{webinar.starts_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}\r\n" in body

    advisors_only = hub.items["webinarpage"]["advisors"]
    assert signed_in(client_user).get(f"{advisors_only.url}calendar/").status_code == 404
    assert Client().get(f"{webinar.url}calendar/").status_code == 302


def test_the_hub_follows_the_language_switch(hub: Hub, client_user) -> None:
    client = signed_in(client_user)
    client.post("/i18n/setlang/", {"language": "es", "next": "/hub/"})
    html = client.get("/hub/").content.decode()
    assert '<html lang="es">' in html
    assert "Centro para clientes y asesores" in html
    assert "Noticias del sector" in html
    news = client.get("/hub/news/").content.decode()
    assert "<h1>Noticias del sector</h1>" in news


@pytest.mark.parametrize(
    ("role", "in_group", "expected"),
    [
        ("client", False, 403),
        ("advisor", False, 403),
        ("member", False, 403),
        ("service_center", False, 403),
        ("account_team", False, 403),
        ("account_team", True, 200),
        ("admin", True, 200),
        # The group's permission alone does not open /cms/ to someone who is not PBM staff.
        ("client", True, 403),
    ],
)
def test_cms_is_for_content_editors_only(hub: Hub, role: str, in_group: bool, expected) -> None:
    user = user_with_role(role, f"cms-{role}")
    if in_group:
        user.groups.add(Group.objects.get(name=CONTENT_EDITORS_GROUP))
    response = signed_in(user).get("/cms/")
    assert response.status_code == expected


def test_cms_sends_anonymous_callers_to_the_portal_sign_in(hub: Hub) -> None:
    for url in ["/cms/", "/cms/login/", "/cms/pages/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_content_editors_can_open_the_page_editor(hub: Hub, editor_user) -> None:
    client = signed_in(editor_user)
    item = hub.items["newspage"]["advisors"]
    response = client.get(f"/cms/pages/{item.pk}/edit/")
    assert response.status_code == 200
    assert "Audience" in response.content.decode()


def test_seed_hub_is_idempotent_and_seeds_both_languages(db: None) -> None:
    call_command("seed_hub", stdout=io.StringIO())
    counts = {model: model.objects.count() for model in (NewsPage, WebinarPage)}
    output = io.StringIO()
    call_command("seed_hub", stdout=output)
    assert "seed_hub: 0 pages and 0 documents created" in output.getvalue()
    assert {model: model.objects.count() for model in (NewsPage, WebinarPage)} == counts
    for section in ("news", "webinars", "tools", "publications", "strategies"):
        slugs = {spec.slug for spec in demo_content.ITEMS if spec.section == section}
        model = demo_content.item_model(section)
        for language in ("en", "es"):
            seeded = model.objects.live().filter(slug__in=slugs, locale__language_code=language)
            assert seeded.count() == len(slugs) >= 3, (section, language)
            assert all(item.is_sample for item in seeded)


def test_only_the_editor_relaxes_the_content_security_policy(
    hub: Hub, editor_user, client_user
) -> None:
    cms = signed_in(editor_user).get("/cms/")
    hub_page = signed_in(client_user).get("/hub/")
    cms_policy = cms["Content-Security-Policy"]
    hub_policy = hub_page["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in cms_policy
    assert "frame-ancestors 'self'" in cms_policy
    assert cms["X-Frame-Options"] == "SAMEORIGIN"
    assert "unsafe-inline" not in hub_policy
    assert "frame-ancestors 'none'" in hub_policy
    assert hub_page["X-Frame-Options"] == "DENY"
    assert "no-store" in hub_page["Cache-Control"]
