"""A client registers, the account team verifies and links them, they request a secure tool,
the account team approves it and the client opens the tool; a denied request and an expired
grant keep the tool closed. Every page on the way: axe-clean, no sideways scroll at 360 px; the client's browser has
JavaScript switched off.

The account team is the seeded ``demo-accountteam`` (SiteKey, challenge answer and TOTP of
``prepare_demo_security``), signing in through every step like the demo member.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_registration import CODE_RE, PASSWORD, QUESTIONS, SITEKEY_PHRASE
from tests.browser.test_sign_in import assert_page_basics
from tests.browser.test_signin_flow import DEMO_CHALLENGE_ANSWER, next_totp_code

pytestmark = pytest.mark.browser

AGENT_USERNAME = "demo-accountteam"
AGENT_PASSWORD = "Demo-AccountTeam-Passphrase-2026"
PHONE_WIDTH = 360

_EXPIRE_GRANTS = """
import datetime as dt
from rxportal.clients.models import ToolGrant
from rxportal.core import clock
past = clock.now() - dt.timedelta(minutes=1)
print(ToolGrant.objects.filter(user__username=%r).update(expires_at=past))
"""


def _context_page(
    browser: Browser, portal_server: PortalServer, *, javascript: bool = True
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        viewport={"width": PHONE_WIDTH, "height": 800},
        java_script_enabled=javascript,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def client_page(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    """The client's browser runs no JavaScript: every step works without it."""
    yield from _context_page(browser, portal_server, javascript=False)


@pytest.fixture
def agent_page(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    yield from _context_page(browser, portal_server)


WIDER_THAN_THE_PHONE_JS = """(width) => Array.from(document.querySelectorAll('main *'))
    .filter((el) => el.getBoundingClientRect().right > width)
    .map((el) => el.tagName + '.' + el.className).slice(0, 5)"""


def check_page(page: Page) -> None:
    assert_page_basics(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, (
        page.url,
        page.evaluate(WIDER_THAN_THE_PHONE_JS, PHONE_WIDTH),
    )


def register_client(
    page: Page, portal_server: PortalServer, email: str, *, role: str = "Client"
) -> None:
    sent_before = len(portal_server.sent_emails())
    page.goto("/accounts/register/business/")
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Organization").fill("Demo employer benefits office")
    page.get_by_role("radio", name=re.compile(f"^{role}:")).check()
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("radio", name="A green teapot").check()
    page.get_by_label("Your SiteKey phrase").fill(SITEKEY_PHRASE)
    for number, question in enumerate(QUESTIONS, start=1):
        page.get_by_label(f"Question {number}", exact=True).select_option(question)
        page.get_by_label(f"Answer to question {number}").fill(f"answer number {number}")
    page.get_by_role("button", name="Create my account").click()

    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    message = portal_server.read_latest_email(to=email, after=sent_before)
    match = CODE_RE.search(message.body)
    assert match, message.body
    page.get_by_label("Code from the email").fill(match.group(1))
    page.get_by_role("button", name="Confirm").click()


def sign_in_agent(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill(AGENT_USERNAME)
    page.get_by_role("button", name="Continue").click()
    # A new browser: the challenge question comes before the SiteKey and password.
    expect(page).to_have_url(re.compile(r"/accounts/login/question/"))
    page.locator("#id_answer").fill(DEMO_CHALLENGE_ANSWER)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def ask_to_be_linked(page: Page) -> None:
    """The new client, on their home, asks the account team to link them to their employer."""
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.locator("main")).to_contain_text("has not linked your account")
    check_page(page)
    page.get_by_role("link", name="Ask to be linked to an organization").click()
    check_page(page)
    page.get_by_label("Organization", exact=True).fill("Demo employer")
    page.get_by_label("How you work with this organization").fill("I run its benefits.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.locator("main")).to_contain_text("Demo employer: asked on")


def link_client(
    page: Page, email: str, *, client_name: str | None = None, asked: bool = True
) -> None:
    """The signed-in account team links the client user `email` from the verification queue to
    `client_name` (default: the first client in the list). `asked`: their request to be linked
    is still open (a second link is made without one)."""
    page.goto("/staff/clients/")
    check_page(page)
    page.get_by_role("link", name=email).first.click()
    expect(page.locator("main")).to_contain_text("Demo employer benefits office")
    if asked:
        expect(page.locator("main")).to_contain_text("I run its benefits.")
    check_page(page)
    if client_name is None:
        page.get_by_label("Client", exact=True).select_option(index=1)
    else:
        page.get_by_label("Client", exact=True).select_option(label=client_name)
    page.get_by_label("How you verified this person").select_option(
        label="Called the client's designated contact"
    )
    page.get_by_label("Notes").fill("The benefits director confirmed Robin works there.")
    page.get_by_role("button", name="Link to this client").click()
    expect(page.locator(".messages")).to_contain_text("Linked to")


def request_tool(page: Page, tool: str, *, client_name: str | None = None) -> str:
    """Ask for ``tool`` for ``client_name`` (default: the first linked client); returns the
    request's public id."""
    page.goto("/clients/requests/new/")
    check_page(page)
    if client_name is None:
        page.get_by_label("Client", exact=True).select_option(index=1)
    else:
        page.get_by_label("Client", exact=True).select_option(label=client_name)
    page.get_by_label("Tool", exact=True).select_option(label=tool)
    page.get_by_label("Business reason").fill("Answer our employees' eligibility questions.")
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/clients/requests/[0-9a-f-]{36}/$"))
    expect(page.locator("main")).to_contain_text("Submitted")
    check_page(page)
    return page.url.rstrip("/").rsplit("/", 1)[1]


def decide(page: Page, request_id: str, *, decision: str, reason: str) -> None:
    page.goto(f"/staff/clients/requests/{request_id}/")
    check_page(page)
    page.get_by_label("Decision", exact=True).select_option(label=decision)
    page.get_by_label("How you verified", exact=True).select_option(
        label="Called the client's designated contact"
    )
    page.locator("#id_decide-reason").fill(reason)
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".messages")).to_contain_text(
        decision + "d" if decision == "Approve" else "Denied"
    )


def test_a_client_registers_is_verified_and_opens_an_approved_tool_then_denied_and_expired_close(
    client_page: Page, agent_page: Page, portal_server: PortalServer
) -> None:
    email = f"client-{uuid.uuid4().hex[:10]}@example.org"

    # The client registers and lands on their home, waiting for the account team.
    register_client(client_page, portal_server, email)
    ask_to_be_linked(client_page)

    # While they wait, the general content is theirs: they read the hub from their home.
    client_page.get_by_role("link", name="Open the content hub").click()
    expect(client_page).to_have_url(re.compile(r"/hub/$"))
    expect(client_page.get_by_role("heading", level=1)).to_have_text("Clients and advisors hub")
    expect(client_page.locator("main")).to_contain_text("More biosimilars reach the market")
    expect(client_page.locator("main")).not_to_contain_text("Medicare Part D redesign")
    check_page(client_page)

    # The account team finds them in the verification queue and links them to a client.
    sign_in_agent(agent_page)
    link_client(agent_page, email)

    # The client asks for the eligibility lookup; the account team approves it.
    approved_id = request_tool(client_page, "Eligibility lookup")
    sent_before = len(portal_server.sent_emails())
    decide(agent_page, approved_id, decision="Approve", reason="Confirmed by phone.")
    notice = portal_server.read_latest_email(to=email, after=sent_before)
    assert "approved" in notice.subject
    # The rest of the console: grants in force (revoke page) and the designated contacts.
    agent_page.goto("/staff/clients/")
    agent_page.get_by_role(
        "link", name=re.compile("^Revoke Eligibility lookup · " + re.escape(email))
    ).click()
    expect(agent_page.get_by_role("heading", level=1)).to_have_text("Revoke access")
    check_page(agent_page)
    agent_page.goto("/staff/clients/directory/")
    check_page(agent_page)

    # The client opens the tool from their home.
    client_page.goto("/clients/")
    check_page(client_page)
    client_page.get_by_role("link", name="Eligibility lookup", exact=True).click()
    expect(client_page.locator("main")).to_contain_text("Your access is in force.")
    expect(client_page.locator("main")).to_contain_text("Protected health information")
    check_page(client_page)
    tool_url = client_page.url

    # A denied request opens nothing.
    denied_id = request_tool(client_page, "Drug-trend reports")
    decide(agent_page, denied_id, decision="Deny", reason="The contact did not confirm.")
    response = client_page.goto(tool_url.replace("/eligibility/", "/drug-trend/"))
    assert response is not None and response.status == 404

    # Once the grant is past its expiry, the tool closes (read time, before the daily job).
    portal_server.manage("shell", "--verbosity", "0", "-c", _EXPIRE_GRANTS % email)
    response = client_page.goto(tool_url)
    assert response is not None and response.status == 404
    client_page.goto("/clients/")
    expect(client_page.locator("main")).to_contain_text("Expired")


_THREE_CLIENTS = """
from rxportal.clients.models import Client
from rxportal.demo.services import MARKER_PREFIX
for client in Client.objects.exclude(code__startswith=MARKER_PREFIX).order_by("code")[:3]:
    print(f"{client.public_id}|{client.name}")
"""


def three_clients(portal_server: PortalServer) -> list[tuple[str, str]]:
    """(public id, name) of three plan sponsors of the demo data."""
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _THREE_CLIENTS)
    rows = [line.split("|", 1) for line in output.strip().splitlines() if "|" in line]
    assert len(rows) == 3, output
    return [(public_id, name) for public_id, name in rows]


def test_an_advisor_linked_to_two_clients_sees_both_and_nothing_else(
    client_page: Page, agent_page: Page, portal_server: PortalServer
) -> None:
    advisor = client_page  # no JavaScript either
    email = f"advisor-{uuid.uuid4().hex[:10]}@example.org"
    (first_id, first), (second_id, second), (third_id, third) = three_clients(portal_server)

    register_client(advisor, portal_server, email, role="Advisor")
    ask_to_be_linked(advisor)
    sign_in_agent(agent_page)
    link_client(agent_page, email, client_name=first)
    link_client(agent_page, email, client_name=second, asked=False)

    # A grant for each client: the eligibility lookup, asked and approved client by client.
    for name in (first, second):
        request_id = request_tool(advisor, "Eligibility lookup", client_name=name)
        decide(agent_page, request_id, decision="Approve", reason="Confirmed by phone.")

    # The home shows both clients and their tools, and no other client.
    advisor.goto("/clients/")
    main = advisor.locator("main")
    expect(main).to_contain_text(first)
    expect(main).to_contain_text(second)
    expect(main).not_to_contain_text(third)
    check_page(advisor)
    for public_id, name in ((first_id, first), (second_id, second)):
        advisor.goto("/clients/")
        advisor.locator(f'main a[href$="/clients/{public_id}/tools/eligibility/"]').click()
        expect(advisor.locator("main")).to_contain_text("Your access is in force.")
        expect(advisor.locator("main")).to_contain_text(name)
        check_page(advisor)

    # Another client's tool is not there, whatever the address typed.
    for tool in ("eligibility", "drug-trend", "claims-reports"):
        response = advisor.goto(f"/clients/{third_id}/tools/{tool}/")
        assert response is not None and response.status == 404, tool

    # In Spanish, the same two clients and a tool page, still axe-clean at 360 px.
    advisor.goto("/clients/")
    advisor.get_by_role("button", name="Español").click()
    expect(advisor.locator("html")).to_have_attribute("lang", "es")
    expect(advisor.locator("main")).to_contain_text(first)
    expect(advisor.locator("main")).to_contain_text(second)
    check_page(advisor)
    advisor.goto(f"/clients/{second_id}/tools/eligibility/")
    expect(advisor.locator("main")).to_contain_text("Su acceso está vigente.")
    check_page(advisor)
    advisor.get_by_role("button", name="English").click()
