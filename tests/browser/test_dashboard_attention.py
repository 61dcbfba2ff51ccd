"""The dashboard's "what needs attention" in a browser, as the demo member on a 360 px phone: a
late order flagged with whom to call, and a refill due (their child's) placed from the
dashboard in three clicks (Refill now, See the cost, Confirm refill) with JavaScript off; then
the same dashboard in Spanish. Every page axe-clean, none scrolling sideways."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, DEMO_MEMBER_USERNAME, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}

# A refill due now on the demo member's dashboard for their minor child (the other browser tests
# refill the member's own prescriptions; one is made due when the demo has none covered by mail),
# and one of the member's orders on its way made late (expected two days ago). Saved through the
# ORM, not with update(): the save signals bump the member's record versions, so a dashboard
# cached before this set-up (the sign-in lands on it) is not served stale.
_SETUP = """
import datetime as dt, json
from rxportal.core import clock
from rxportal.members.models import Member
from rxportal.orders.models import MailOrder
from rxportal.prescriptions.models import Prescription
from rxportal.prescriptions.selectors import estimate_refill_line
from rxportal.web.selectors import find_member_dashboard
today = clock.today()
member = Member.objects.get(user__username=%(username)r)
def covered(rx):
    estimate = estimate_refill_line(prescription=rx, fulfilment="mail", quantity=rx.quantity,
                                    days_supply=rx.days_supply, pharmacy=None)
    return estimate is not None and estimate.covered
def due_now():
    dashboard = find_member_dashboard(viewer=member.user, today=today)
    return [r for r in dashboard.refills_due
            if r.can_refill and r.prescription.member_id != member.pk and covered(r.prescription)]
rows = due_now()
children = member.dependents.filter(relationship="child")
for rx in Prescription.objects.filter(member__in=children, status="active", auto_refill=False):
    if rows:
        break
    rx.expires_on, rx.refills_authorized = today + dt.timedelta(days=200), 5
    rx.refills_remaining, rx.last_filled_on = 3, today - dt.timedelta(days=60)
    rx.save()  # a save, not update(): its signal tells the dashboard's cache
    rows = due_now()
late = (MailOrder.objects.filter(member=member, status__in=["shipped", "processing"])
        .order_by("status", "-ordered_at").first())
late.expected_delivery = today - dt.timedelta(days=2)
late.save()
rx = rows[0].prescription
print(json.dumps({"rx": str(rx.public_id), "drug": rx.drug.display_name, "order": late.order_number}))
"""

_ORDERS_OF = """
import json
from rxportal.orders.models import MailOrderLine
print(json.dumps(MailOrderLine.objects.filter(prescription__public_id=%(id)r,
      order__status__in=["received", "verifying", "processing", "shipped", "on_hold"]).count()))
"""


def shell(portal_server: PortalServer, code: str) -> Any:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", code)
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def attention(portal_server: PortalServer) -> dict[str, str]:
    return dict(shell(portal_server, _SETUP % {"username": DEMO_MEMBER_USERNAME}))


def assert_fits_a_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.fixture
def spanish_member_page(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict[str, Any]
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="es-ES",
        viewport=PHONE,  # type: ignore[arg-type]
        storage_state=demo_member_storage_state,  # type: ignore[arg-type]
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def test_a_late_order_is_flagged_with_whom_to_call(
    member_page: Page, attention: dict[str, str]
) -> None:
    page = member_page
    page.set_viewport_size(PHONE)
    page.goto("/dashboard/")
    assert_page_basics(page)
    assert_fits_a_phone(page)

    item = page.locator(".attention-item").filter(has_text=attention["order"])
    expect(item).to_contain_text("Late")
    expect(item).to_contain_text("has not arrived")
    expect(item).to_contain_text(re.compile(r"Call member services at [0-9()\- ]+"))

    item.get_by_role("link", name=f"Order {attention['order']}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {attention['order']}")
    expect(page.locator(".order-attention")).to_contain_text("Late")
    assert_page_basics(page)
    assert_fits_a_phone(page)


def test_a_refill_due_is_placed_from_the_dashboard_in_three_clicks_without_javascript(
    member_page_without_js: Page, portal_server: PortalServer, attention: dict[str, str]
) -> None:
    page = member_page_without_js
    page.set_viewport_size(PHONE)
    page.goto("/dashboard/")
    assert_page_basics(page)
    assert_fits_a_phone(page)
    clicks = 0

    page.get_by_role("button", name=f"Refill now {attention['drug']}").click()
    clicks += 1
    expect(page.get_by_role("heading", level=1)).to_have_text("How do you want to get your refill?")
    assert_page_basics(page)
    assert_fits_a_phone(page)
    expect(page.get_by_label("Mail delivery")).to_be_checked()
    page.get_by_role("button", name="See the cost").click()
    clicks += 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the cost of your refill")
    expect(page.get_by_role("table")).to_contain_text(attention["drug"])
    assert_page_basics(page)
    assert_fits_a_phone(page)
    page.get_by_role("button", name="Confirm refill").click()
    clicks += 1

    expect(page.get_by_role("heading", level=1)).to_have_text("Your refill is requested")
    assert clicks <= 3
    assert shell(portal_server, _ORDERS_OF % {"id": attention["rx"]}) == 1
    # On order now: the dashboard no longer offers it.
    page.goto("/dashboard/")
    expect(page.get_by_role("button", name=f"Refill now {attention['drug']}")).to_have_count(0)


def test_the_dashboard_says_it_in_spanish(
    spanish_member_page: Page, attention: dict[str, str]
) -> None:
    page = spanish_member_page
    page.goto("/dashboard/")

    expect(page.locator("html")).to_have_attribute("lang", "es")
    item = page.locator(".attention-item").filter(has_text=attention["order"])
    expect(item).to_contain_text("Retrasado")
    expect(item).to_contain_text("Llame a servicios para miembros")
    assert_page_basics(page)
    assert_fits_a_phone(page)
