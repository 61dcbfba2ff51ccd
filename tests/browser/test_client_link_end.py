"""The account team ends a client's link: the client's approved tool closes at once. The link
end page is axe-clean, fits 360 px and reads in Spanish; the client's browser runs no
JavaScript."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PortalServer
from tests.browser.test_client_access import (
    AGENT_PASSWORD,
    AGENT_USERNAME,
    _context_page,
    check_page,
    decide,
    register_client,
    request_tool,
)
from tests.browser.test_signin_flow import DEMO_CHALLENGE_ANSWER, next_totp_code

pytestmark = pytest.mark.browser


@pytest.fixture
def client_page(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    yield from _context_page(browser, portal_server, javascript=False)


@pytest.fixture
def agent_page(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    """Signing the agent in uses the sign-in pages' scripts (as in test_client_access); the
    link end page itself is a plain form."""
    yield from _context_page(browser, portal_server)


def sign_in_agent(page: Page) -> None:
    """Today's sign-in order on a new browser: username, security question, password, code."""
    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill(AGENT_USERNAME)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/question/"))
    page.locator("#id_answer").fill(DEMO_CHALLENGE_ANSWER)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


def _language(page: Page, portal_server: PortalServer, code: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": code, "url": portal_server.base_url}]
    )


def test_the_account_team_ends_a_link_and_the_clients_tool_closes(
    client_page: Page, agent_page: Page, portal_server: PortalServer
) -> None:
    email = f"client-{uuid.uuid4().hex[:10]}@example.org"
    register_client(client_page, portal_server, email)
    sign_in_agent(agent_page)
    agent_page.goto("/staff/clients/")
    agent_page.get_by_role("link", name=email).first.click()
    user_url = agent_page.url
    agent_page.get_by_label("Client", exact=True).select_option(index=1)
    agent_page.get_by_label("How you verified this person").select_option(
        label="Called the client's designated contact"
    )
    agent_page.get_by_role("button", name="Link to this client").click()
    expect(agent_page.locator(".messages")).to_contain_text("Linked to")
    decide(
        agent_page,
        request_tool(client_page, "Eligibility lookup"),
        decision="Approve",
        reason="Confirmed by phone.",
    )
    client_page.goto("/clients/")
    client_page.get_by_role("link", name="Eligibility lookup", exact=True).click()
    expect(client_page.locator("main")).to_contain_text("Your access is in force.")
    tool_url = client_page.url

    # The account's page offers to end the link; the end page, in Spanish first.
    agent_page.goto(user_url)
    end_link = agent_page.get_by_role("link", name=re.compile("^End the link to "))
    end_url = end_link.get_attribute("href")
    assert end_url
    _language(agent_page, portal_server, "es")
    agent_page.goto(end_url)
    expect(agent_page.get_by_role("heading", level=1)).to_have_text("Terminar un vínculo")
    expect(agent_page.get_by_role("button", name="Terminar el vínculo")).to_be_visible()
    check_page(agent_page)
    _language(agent_page, portal_server, "en")

    # Without a reason the link stays; with one it ends, and the tool closes at once.
    agent_page.goto(end_url)
    check_page(agent_page)
    agent_page.get_by_role("button", name="End the link").click()
    expect(agent_page).to_have_url(re.compile(re.escape(end_url) + "$"))
    expect(agent_page.locator(".error-summary")).to_be_visible()
    check_page(agent_page)
    agent_page.get_by_label("Reason").fill("The client's contact says Robin has left.")
    agent_page.get_by_role("button", name="End the link").click()
    expect(agent_page).to_have_url(user_url)
    expect(agent_page.locator(".messages")).to_contain_text("has ended")
    expect(agent_page.locator("main")).to_contain_text("(ended)")
    check_page(agent_page)

    response = client_page.goto(tool_url)
    assert response is not None and response.status == 404
