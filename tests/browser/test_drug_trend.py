"""A client asks for drug-trend reports, the account team approves them in /staff/clients/, and
the client opens the dashboard (no JavaScript), reads the chart's table and downloads the CSV,
which holds the page's figures. The dashboard: axe-clean at 1280 and 360 px, in English and
Spanish, no sideways scroll on the phone.

The client linked is the demo plan sponsor with the most members in the rollups, and the month
shown is its latest month with rollups, so the page shows figures where the demo data has them
(and the small-cell sentence where it does not: the CSV must then say the same).
"""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PortalServer
from tests.browser.test_client_access import (
    PHONE_WIDTH,
    agent_page,
    ask_to_be_linked,
    check_page,
    client_page,
    decide,
    link_client,
    register_client,
    request_tool,
    sign_in_agent,
)
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

__all__ = ["agent_page", "client_page"]  # fixtures, used by name

SUPPRESSED = "Not shown: fewer than 11 members"

_BUSIEST_CLIENT = """
from rxportal.analytics.models import PeriodMemberRollup
row = (PeriodMemberRollup.objects.filter(plan=None, kind="month")
       .select_related("client").order_by("-members", "-start").first())
print(row.client.name + "|" + row.start.isoformat())
"""


def busiest_client(portal_server: PortalServer) -> tuple[str, str]:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _BUSIEST_CLIENT)
    name, day = output.strip().splitlines()[-1].rsplit("|", 1)
    return name, day


def row_cells(page: Page, label: str) -> list[str]:
    """The cells after the row header `label` in the dashboard's tables."""
    row = page.locator("tr", has=page.get_by_role("rowheader", name=label, exact=True)).first
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def as_plain_number(text: str) -> str:
    """$1,234.56 on the page is 1234.56 in the CSV; a dash (no figure) is an empty cell."""
    return "" if text == "—" else text.replace("$", "").replace(",", "")


def test_a_client_gets_drug_trend_approved_opens_the_dashboard_and_downloads_the_csv(
    client_page: Page, agent_page: Page, browser: Browser, portal_server: PortalServer
) -> None:
    email = f"trend-{uuid.uuid4().hex[:10]}@example.org"
    client_name, day = busiest_client(portal_server)

    register_client(client_page, portal_server, email)
    ask_to_be_linked(client_page)
    sign_in_agent(agent_page)
    link_client(agent_page, email, client_name=client_name)

    # The client asks for drug-trend reports; the account team approves them.
    request_id = request_tool(client_page, "Drug-trend reports")
    decide(agent_page, request_id, decision="Approve", reason="Confirmed by phone.")

    # The client opens the dashboard from their home and picks the month.
    client_page.goto("/clients/")
    client_page.get_by_role("link", name="Drug-trend reports", exact=True).click()
    expect(client_page.get_by_role("heading", level=1)).to_have_text("Drug trend")
    client_page.get_by_label("Period", exact=True).select_option(label="Month")
    client_page.get_by_label("A day in the period").fill(day)
    client_page.get_by_role("button", name="Show").click()
    expect(client_page).to_have_url(re.compile(rf"[?&]day={day}"))
    main = client_page.locator("main")
    expect(main).to_contain_text("the CMS small-cell rule")
    expect(
        main.get_by_role("heading", name="What changed the cost per member per month")
    ).to_be_visible()
    check_page(client_page)

    # The chart's numbers are in a table behind it.
    client_page.get_by_text("Show the monthly amounts as a table").click()
    table = client_page.get_by_role("table", name="Cost per member per month, by month")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() == 24
    check_page(client_page)

    # The CSV holds the page's figures for the same filters.
    page_total = row_cells(client_page, "Total cost per member per month")
    with client_page.expect_download() as download_info:
        client_page.get_by_role("link", name="Download these figures (CSV)").click()
    download = download_info.value
    assert re.fullmatch(r"drug-trend-month-\d{4}-\d{2}-01\.csv", download.suggested_filename)
    path = download.path()
    assert path is not None
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["Client", client_name] in rows
    assert "CMS small-cell rule" in text
    [csv_total] = [r for r in rows if len(r) == 6 and r[1] == "Total cost per member per month"]
    if page_total == [SUPPRESSED]:
        assert csv_total[3:] == [SUPPRESSED, "", ""]
    else:
        assert csv_total[3:] == [as_plain_number(cell) for cell in page_total]

    # axe-core runs with JavaScript: the same session in a browser that has it, at 360 and
    # 1280 px, in English and in Spanish.
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        viewport={"width": PHONE_WIDTH, "height": 800},
        storage_state=client_page.context.storage_state(),
    )
    try:
        page = context.new_page()
        page.goto(client_page.url)
        page.get_by_text("Show the monthly amounts as a table").click()
        check_page(page)
        page.set_viewport_size({"width": 1280, "height": 900})
        assert_page_basics(page)
        page.get_by_role("button", name="Español").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("heading", level=1)).to_have_text("Tendencia de medicamentos")
        assert_page_basics(page)
        page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
        check_page(page)
    finally:
        context.close()
