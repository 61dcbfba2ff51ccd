"""A plan sponsor's PHI tools in the browser, JavaScript off: the eligibility lookup finds a
member of the client's own plans; a claims report is asked for, built (its progress page),
and downloaded as CSV. Each page axe-clean at 360 and 1280 px, in English and in Spanish.

demo-client holds the demo's eligibility grant; the claims-reports grant is approved here
(through the clients' services) if the demo data has not approved it already.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_client_access import check_page
from tests.browser.test_content_hub import sign_in_as_demo_client
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

_GRANT_TOOLS = """
from rxportal.accounts.models import User
from rxportal.clients import services
from rxportal.clients.models import AccessRequest, ToolGrant
from rxportal.core import clock
from rxportal.members.models import Member
user = User.objects.get(username="demo-client")
agent = User.objects.get(username="demo-accountteam")
client = user.client_links.filter(ended_at__isnull=True).get().client
for tool in ("eligibility", "claims-reports"):
    if ToolGrant.objects.filter(user=user, client=client, tool=tool, revoked_at__isnull=True,
                                expires_at__gt=clock.now()).exists():
        continue
    asked = AccessRequest.objects.filter(
        requester=user, client=client, tool=tool, stage__in=["submitted", "verifying"]
    ).first() or services.submit_access_request(
        requester=user, client=client, tool=tool, business_reason="Browser test.", now=clock.now()
    )
    services.decide_access_request(access_request=asked, actor=agent, approve=True,
        reason="Browser test.", method="called_contact", now=clock.now())
member = Member.objects.filter(plan__client=client, subscriber__isnull=True).order_by("pk").first()
print(client.public_id, member.member_id, member.first_name, member.last_name)
"""


@pytest.fixture(scope="module")
def sponsor(browser: Browser, portal_server: PortalServer) -> dict[str, Any]:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _GRANT_TOOLS)
    client_id, member_id, first_name, last_name = output.strip().splitlines()[-1].split(" ", 3)
    context = browser.new_context(base_url=portal_server.base_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    sign_in_as_demo_client(context.new_page())
    state = context.storage_state()
    context.close()
    return {
        "state": dict(state),
        "client_id": client_id,
        "member_id": member_id,
        "member_name": f"{first_name} {last_name}",
    }


def _page(
    browser: Browser, portal_server: PortalServer, sponsor: dict[str, Any], locale: str
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale=locale,
        viewport={"width": 360, "height": 800},
        java_script_enabled=False,
        storage_state=sponsor["state"],  # type: ignore[arg-type]
        accept_downloads=True,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page_en(
    browser: Browser, portal_server: PortalServer, sponsor: dict[str, Any]
) -> Iterator[Page]:
    yield from _page(browser, portal_server, sponsor, "en-US")


@pytest.fixture
def page_es(
    browser: Browser, portal_server: PortalServer, sponsor: dict[str, Any]
) -> Iterator[Page]:
    yield from _page(browser, portal_server, sponsor, "es-ES")


def check_both_widths(page: Page) -> None:
    check_page(page)  # 360 px: axe, landmarks, no sideways scroll
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_page_basics(page)
    page.set_viewport_size({"width": 360, "height": 800})


def test_lookup_then_report_progress_and_download(page_en: Page, sponsor: dict[str, Any]) -> None:
    page = page_en
    tools = f"/clients/{sponsor['client_id']}/tools"

    page.goto(f"{tools}/eligibility/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Eligibility lookup")
    check_both_widths(page)
    page.get_by_label("Member ID", exact=True).fill(sponsor["member_id"])
    page.get_by_role("button", name="Look up").click()
    expect(page).to_have_url(re.compile(r"/tools/eligibility/$"))  # a POST: nothing in the URL
    expect(page.locator("main")).to_contain_text(sponsor["member_name"])
    expect(page.locator("main")).to_contain_text("Deductible and out-of-pocket")
    check_both_widths(page)

    page.goto(f"{tools}/claims-reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Claims reports")
    check_both_widths(page)
    today = dt.date.today()
    page.get_by_label("From").fill((today - dt.timedelta(days=700)).isoformat())
    page.get_by_label("To", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Build the report").click()
    expect(page).to_have_url(re.compile(r"/tools/claims-reports/[0-9a-f-]{36}/$"))
    # Built in the background (eager without Redis): the page refreshes itself until ready.
    expect(page.get_by_role("link", name="Download the CSV")).to_be_visible()
    check_both_widths(page)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the CSV").click()
    download = waiting.value
    text = open(download.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["Member ID", "Plan", "Claim number"]
    assert rows, "the demo client has claims in the last 700 days"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_tools_in_spanish(page_es: Page, sponsor: dict[str, Any]) -> None:
    page = page_es
    tools = f"/clients/{sponsor['client_id']}/tools"

    page.goto(f"{tools}/eligibility/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consulta de elegibilidad")
    page.get_by_label("ID de miembro", exact=True).fill("NO-SUCH-CARD")
    page.get_by_role("button", name="Buscar").click()
    expect(page.locator("main")).to_contain_text("Ningún miembro de este cliente coincide.")
    check_both_widths(page)

    page.goto(f"{tools}/claims-reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Informes de reclamos")
    check_both_widths(page)
    page.get_by_role("button", name="Generar el informe").click()  # no dates: the form says so
    expect(page.locator(".error-summary")).to_be_visible()
    check_both_widths(page)
