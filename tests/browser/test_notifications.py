"""The demo member's inbox and notification settings: axe-clean, in Spanish, no sideways
scroll at 360 px, and both work without JavaScript (mark all read, save settings)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, DEMO_MEMBER_USERNAME, PortalServer
from tests.browser.test_client_access import PHONE_WIDTH, check_page
from tests.browser.test_client_link_end import _language

pytestmark = pytest.mark.browser

TELL_THE_DEMO_MEMBER = """
from django.db import transaction
from rxportal.accounts.models import User
from rxportal.notifications import services
user = User.objects.get(username={username!r})
for key in ({keys}):
    with transaction.atomic():
        services.notify(recipient=user, kind="security.sign_in_paused", context={{}},
                        idempotency_key=key, link_path="/my-account/")
"""


@pytest.fixture
def phone_page(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict[str, Any]
) -> Iterator[Page]:
    """The signed-in demo member on a 360 px screen with JavaScript off."""
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        viewport={"width": PHONE_WIDTH, "height": 800},
        java_script_enabled=False,
        storage_state=demo_member_storage_state,  # type: ignore[arg-type]
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_the_inbox_reads_marks_read_and_speaks_spanish(
    phone_page: Page, portal_server: PortalServer
) -> None:
    keys = ", ".join(repr(f"browser-{uuid.uuid4().hex}") for _ in range(2))
    portal_server.manage(
        "shell", "-c", TELL_THE_DEMO_MEMBER.format(username=DEMO_MEMBER_USERNAME, keys=keys)
    )
    page = phone_page

    page.goto("/dashboard/")
    page.locator("header summary").click()  # the phone's menu (a <details>: no JavaScript)
    header_link = page.locator("header").get_by_role("link", name=re.compile(r"^Messages"))
    expect(header_link).to_contain_text("unread")
    header_link.click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your messages")
    expect(page.locator(".inbox-item").first).to_contain_text("Unread")
    check_page(page)

    page.locator(".inbox-item").first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign-in to your rxportal account was paused"
    )
    expect(page.get_by_role("link", name="Go to the page this message is about")).to_have_attribute(
        "href", "/my-account/"
    )
    check_page(page)

    page.get_by_role("link", name="Back to your messages").click()
    expect(page.locator(".inbox-item").first.locator(".inbox-item__state")).to_have_text("Read")
    page.get_by_role("button", name="Mark all as read").click()  # a plain form: no JavaScript
    expect(page.locator(".messages")).to_contain_text("All messages are marked as read.")
    page.locator("header summary").click()
    expect(page.locator("header").get_by_role("link", name="Messages", exact=True)).to_be_visible()

    _language(page, portal_server, "es")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sus mensajes")
    expect(page.locator(".inbox-item").first).to_contain_text("Leído")
    check_page(page)
    _language(page, portal_server, "en")


def test_the_settings_page_shows_security_locked_saves_without_javascript_and_in_spanish(
    phone_page: Page, portal_server: PortalServer
) -> None:
    page = phone_page
    page.goto("/my-account/")
    page.get_by_role("link", name=re.compile(r"^Notification settings")).click()
    expect(page).to_have_url(re.compile(r"/notifications/settings/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification settings")
    check_page(page)

    locked = page.get_by_role(
        "checkbox", name="Sign-in paused after wrong passwords: Email (Always sent)"
    )
    expect(locked).to_be_checked()
    expect(locked).to_be_disabled()

    page.get_by_label("Language of your messages").select_option("es")
    page.get_by_label("No texts from").fill("21:30")
    page.get_by_label("Until").fill("07:00")
    page.get_by_label("Your time zone").select_option("America/Chicago")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".messages")).to_contain_text("Your notification settings are saved.")
    expect(page.get_by_label("Language of your messages")).to_have_value("es")
    expect(page.get_by_label("No texts from")).to_have_value("21:30")
    expect(page.get_by_label("Your time zone")).to_have_value("America/Chicago")

    _language(page, portal_server, "es")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preferencias de notificaciones")
    expect(page.get_by_text("Siempre se envía").first).to_be_visible()
    check_page(page)
    _language(page, portal_server, "en")

    # Back to the site's defaults for the other tests that share the demo member.
    page.reload()
    page.get_by_label("Language of your messages").select_option("en")
    page.get_by_label("No texts from").fill("")
    page.get_by_label("Until").fill("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".messages")).to_contain_text("Your notification settings are saved.")
