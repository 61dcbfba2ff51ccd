"""The demo member reads their benefits (progress bars, tier table) and ID cards, and
downloads a card as a PDF; with and without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import PROGRESS_TEXT, assert_page_basics, demo_member_plan_name

pytestmark = pytest.mark.browser

CHANNEL_HEADERS = ("Retail, 30-day", "Retail, 90-day", "Mail order, 90-day", "Specialty pharmacy")
NCPDP_LABELS = ("Name", "ID", "Person code", "RxBIN", "RxPCN", "RxGrp")


def test_benefits_show_progress_bars_and_the_tier_table(
    member_page: Page, portal_server: PortalServer
) -> None:
    page = member_page
    page.goto("/dashboard/")
    page.get_by_role("navigation", name="Quick links").get_by_role(
        "link", name="Your benefits"
    ).click()

    expect(page).to_have_url(re.compile(r"/benefits/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your benefits")
    assert_page_basics(page)
    expect(page.get_by_text(demo_member_plan_name(portal_server), exact=True)).to_be_visible()
    expect(page.get_by_role("progressbar", name="Your deductible")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Your out-of-pocket maximum")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Family deductible")).to_be_visible()
    expect(page.get_by_text(PROGRESS_TEXT).first).to_be_visible()

    table = page.get_by_role("table", name=re.compile("Your cost share per fill"))
    expect(table).to_be_visible()
    for header in CHANNEL_HEADERS:
        expect(table.get_by_role("columnheader", name=header)).to_be_visible()
    generic = table.get_by_role("row", name=re.compile(r"^Generic"))
    expect(generic.first).to_be_visible()
    expect(generic.first.get_by_role("cell").first).to_have_text(re.compile(r"\$\d|%|Not covered"))
    assert table.locator("tbody tr").count() >= 2


def test_benefits_on_a_phone_keep_the_table_scrollable_not_the_page(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict[str, Any]
) -> None:
    context = browser.new_context(
        base_url=portal_server.base_url,
        storage_state=demo_member_storage_state,  # type: ignore[arg-type]
        viewport={"width": 375, "height": 740},
        java_script_enabled=False,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/benefits/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your benefits")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        scroller = page.get_by_role("region", name=re.compile("Your cost share per fill"))
        expect(scroller).to_be_visible()
        assert scroller.evaluate("(el) => el.clientWidth") <= 375
    finally:
        context.close()


def test_id_card_page_shows_the_card_fields(member_page: Page, portal_server: PortalServer) -> None:
    page = member_page
    page.goto("/dashboard/")
    page.get_by_role("navigation", name="Quick links").get_by_role("link", name="ID card").click()

    expect(page).to_have_url(re.compile(r"/id-card/$"))
    assert_page_basics(page)
    front = page.get_by_role("group", name=re.compile(r"ID card of .*, front")).first
    expect(front).to_be_visible()
    for label in NCPDP_LABELS:
        expect(front.get_by_text(label, exact=True)).to_be_visible()
    expect(front.get_by_text(demo_member_plan_name(portal_server), exact=True)).to_be_visible()
    back = page.get_by_role("group", name=re.compile(r"ID card of .*, back")).first
    expect(back.get_by_role("link", name=re.compile(r"^1-800-"))).to_have_count(2)
    # The demo family: the subscriber and a child under 18 (the spouse has not consented).
    assert page.get_by_role("group", name=re.compile(r", front$")).count() >= 2


def test_the_id_card_pdf_downloads(member_page: Page) -> None:
    page = member_page
    page.goto("/id-card/")

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"Download .*card \(PDF\)")).first.click()
    download = download_info.value

    assert re.fullmatch(r"rxportal-id-card-\d\d\.pdf", download.suggested_filename)
    path = download.path()
    assert path is not None
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_the_id_card_pdf_of_another_member_is_not_found(member_page: Page) -> None:
    response = member_page.request.get("/id-card/00000000-0000-4000-8000-000000000000.pdf")

    assert response.status == 404


def test_id_card_page_prints_only_the_cards(member_page: Page) -> None:
    page = member_page
    page.goto("/id-card/")
    page.emulate_media(media="print")

    expect(page.locator("body > header")).to_be_hidden()
    expect(page.locator("body > footer")).to_be_hidden()
    width = page.locator(".id-card--front").first.evaluate(
        "(el) => el.getBoundingClientRect().width"
    )
    assert abs(width - 85.6 / 25.4 * 96) < 2  # 85.6 mm at 96 CSS px per inch
