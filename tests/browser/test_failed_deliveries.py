"""The account team sees a delivery that failed after every try and sends it again: the page is
axe-clean, fits 360 px, reads in Spanish, and the resend is a plain form (no JavaScript)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PortalServer
from tests.browser.test_client_access import _context_page, check_page
from tests.browser.test_client_link_end import _language, sign_in_agent

pytestmark = pytest.mark.browser

PARK_A_FAILED_NOTICE = """
from django.utils import timezone
from rxportal.notifications.models import Notification
Notification.objects.create(
    kind="security.email_changed", channel="email", language="en", to_address="{to}",
    subject="The email address on your rxportal account was changed", body_text="Hello.",
    idempotency_key="{key}", status="failed", attempts=5, last_error_code="email.refused",
    next_attempt_at=timezone.now(),
)
"""


@pytest.fixture
def agent_page(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    yield from _context_page(browser, portal_server)


def test_the_account_team_resends_a_failed_delivery(
    agent_page: Page, portal_server: PortalServer
) -> None:
    to = f"robin-{uuid.uuid4().hex[:8]}@example.org"
    portal_server.manage("shell", "-c", PARK_A_FAILED_NOTICE.format(to=to, key=uuid.uuid4().hex))
    sent_before = len(portal_server.sent_emails())
    sign_in_agent(agent_page)

    agent_page.goto("/staff/")
    agent_page.get_by_role("link", name="Open failed deliveries").click()
    expect(agent_page).to_have_url(re.compile(r"/staff/notifications/failed/$"))
    check_page(agent_page)
    _language(agent_page, portal_server, "es")
    agent_page.reload()
    expect(agent_page.get_by_role("heading", level=1)).to_have_text("Envíos fallidos")
    check_page(agent_page)
    _language(agent_page, portal_server, "en")
    agent_page.reload()

    item = agent_page.locator("li", has_text="email.refused").filter(has_text=to[:1])
    expect(item.first).to_be_visible()
    assert to not in agent_page.content()  # the address is masked
    item.first.get_by_role("button", name="Send again").click()

    expect(agent_page.locator(".messages")).to_contain_text("queued to be sent again")
    check_page(agent_page)
    message = portal_server.read_latest_email(to=to, after=sent_before)
    assert message.subject == "The email address on your rxportal account was changed"
