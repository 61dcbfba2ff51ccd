"""In Spanish, chosen with the header's language switch: the demo member's ID card (page and
PDF) and an order's timeline say everything in Spanish, and no card number breaks mid-value on a
phone."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, DEMO_MEMBER_USERNAME, PortalServer
from tests.browser.test_sign_in import assert_page_basics
from tests.pdf_text import pdf_text_runs

pytestmark = pytest.mark.browser

_ORDERS_WITH_REASONS = f"""
import json
from django.utils import translation
from rxportal.members.models import Member
from rxportal.orders.models import MailOrder, order_reason_label
member = Member.objects.get(user__username={DEMO_MEMBER_USERNAME!r})
orders = MailOrder.objects.filter(member=member, status__in=["on_hold", "cancelled"])
with translation.override("es"):
    spanish = {{str(o.public_id): order_reason_label(o.status_reason) for o in orders}}
with translation.override("en"):
    english = {{str(o.public_id): order_reason_label(o.status_reason) for o in orders}}
print(json.dumps({{"spanish": spanish, "english": english}}))
"""


@pytest.fixture
def spanish_phone(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict[str, Any]
) -> Iterator[Page]:
    """The signed-in demo member at 360 px, with Spanish chosen in the header."""
    context = browser.new_context(
        base_url=portal_server.base_url,
        storage_state=demo_member_storage_state,  # type: ignore[arg-type]
        viewport={"width": 1280, "height": 800},
        accept_downloads=True,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/dashboard/")
    page.locator("form.language-switch button[value='es']").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.set_viewport_size({"width": 360, "height": 740})
    yield page
    context.close()


def test_the_spanish_id_card_page_and_pdf(spanish_phone: Page, tmp_path: Path) -> None:
    page = spanish_phone
    page.goto("/id-card/")

    assert_page_basics(page)
    front = page.locator(".id-card--front").first
    for label in ("Nombre", "ID", "Código de persona", "RxBIN", "RxPCN", "RxGrp"):
        expect(front.locator("dt", has_text=re.compile(rf"^{re.escape(label)}$"))).to_have_count(1)
    expect(front.locator("dt", has_text=re.compile(r"^(Name|Person code)$"))).to_have_count(0)
    # Every number on one line, and the page no wider than the phone.
    lines = front.locator(".id-card__field:not(.id-card__field--wide) dd").evaluate_all(
        """(cells) => cells.map((cell) => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            return [cell.textContent.trim(), tops.size];
        })"""
    )
    assert len(lines) == 5 and all(count == 1 for _text, count in lines), lines
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    with page.expect_download() as download:
        page.locator(".id-card-actions a").first.click()
    saved = tmp_path / "card.pdf"
    download.value.save_as(saved)
    runs = pdf_text_runs(saved.read_bytes())
    assert "Nombre" in runs and "Código de persona" in runs and "Cobertura desde" in runs
    assert "Name" not in runs and "Person code" not in runs
    assert not any(run.endswith("…") for run in runs[2:]), runs  # past the band: nothing cut


def test_an_orders_reason_and_timeline_in_spanish(
    spanish_phone: Page, portal_server: PortalServer
) -> None:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _ORDERS_WITH_REASONS)
    reasons = json.loads(output.strip().splitlines()[-1])
    assert reasons["spanish"], "the demo member has an order on hold or cancelled"
    page = spanish_phone

    for public_id, spanish in reasons["spanish"].items():
        page.goto(f"/orders/{public_id}/")
        assert_page_basics(page)
        expect(page.locator(".order-reason p").first).to_have_text(spanish)
        current = page.locator("ol.timeline > li[aria-current='step']")
        expect(current.locator(".timeline__note")).to_have_text(spanish)
        expect(current).to_contain_text("(paso actual)")
        english = reasons["english"][public_id]
        expect(page.locator("main")).not_to_contain_text(english)
