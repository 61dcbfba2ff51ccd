"""Mail orders in a browser, as the demo member: the order list, a shipped order's timeline
with its tracking link, cancelling an order that has not started processing, and adding a
shipping address (a ZIP that does not exist first, then a good one). The cancel and address
flows run with JavaScript off: every step is a plain link or form."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_MEMBER_USERNAME, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

_SHIPPED_ORDER = f"""
import json
from rxportal.orders.models import MailOrder
order = (MailOrder.objects.filter(member__user__username={DEMO_MEMBER_USERNAME!r},
         status="shipped").exclude(tracking_number="").order_by("-ordered_at").first())
print(json.dumps({{"id": str(order.public_id), "number": order.order_number,
                  "carrier": order.carrier, "tracking": order.tracking_number,
                  "url": order.tracking_url}}))
"""

# A fresh order to cancel, so the demo data other tests read stays as seeded: it uses a refill
# of one of the demo member's prescriptions, as a refill would, and cancelling gives it back.
_NEW_ORDER = f"""
import json
from django.db.models import F
from rxportal.core import clock
from rxportal.members.models import Member
from rxportal.orders.services import MailOrderLineInput, place_mail_order
from rxportal.prescriptions.models import Prescription
member = Member.objects.get(user__username={DEMO_MEMBER_USERNAME!r})
rx = Prescription.objects.filter(member=member, refills_remaining__gt=0).order_by("pk").first()
order = place_mail_order(member=member, lines=[MailOrderLineInput(prescription=rx,
    quantity=rx.quantity, days_supply=rx.days_supply)], address=None, actor=None, now=clock.now())
Prescription.objects.filter(pk=rx.pk).update(refills_remaining=F("refills_remaining") - 1)
print(json.dumps({{"id": str(order.public_id), "number": order.order_number, "rx": rx.pk,
                  "refills": rx.refills_remaining - 1}}))
"""
_ORDER_STATE = """
import json
from rxportal.orders.models import MailOrder
from rxportal.prescriptions.models import Prescription
order = MailOrder.objects.get(public_id=%r)
print(json.dumps({"status": order.status,
                  "refills": Prescription.objects.get(pk=%d).refills_remaining}))
"""
_DEMO_ADDRESS = f"""
import json
from rxportal.members.models import Member
member = Member.objects.get(user__username={DEMO_MEMBER_USERNAME!r})
print(json.dumps({{"zip": member.zip_code[:5], "state": member.state, "city": member.city}}))
"""


def _shell(server: PortalServer, code: str) -> dict[str, Any]:
    output = server.manage("shell", "--verbosity", "0", "-c", code)
    return dict(json.loads(output.strip().splitlines()[-1]))


def test_orders_list_and_a_shipped_orders_timeline_with_tracking(
    member_page: Page, portal_server: PortalServer
) -> None:
    shipped = _shell(portal_server, _SHIPPED_ORDER)
    page = member_page

    page.goto("/orders/")
    assert_page_basics(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mail orders")
    expect(page.get_by_text("the last 18 months")).to_be_visible()
    cards = page.locator("ul.order-list > li")
    assert cards.count() >= 5  # the demo member has an order in every status
    card = cards.filter(has_text=shipped["number"])
    expect(card).to_contain_text("Shipped")
    tracking = card.get_by_role("link", name=re.compile(re.escape(shipped["tracking"])))
    expect(tracking).to_have_attribute("href", shipped["url"])

    # Open orders only: delivered and cancelled ones disappear.
    page.get_by_label("Open orders only").check()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"show=open"))
    expect(page.locator("ul.order-list .order-status--delivered")).to_have_count(0)
    expect(page.locator("ul.order-list .order-status--cancelled")).to_have_count(0)

    page.get_by_role("link", name=f"Order {shipped['number']}").click()
    expect(page).to_have_url(re.compile(shipped["id"]))
    assert_page_basics(page)
    steps = page.locator("ol.timeline > li")
    expect(steps).to_have_count(5)
    current = page.locator("ol.timeline > li[aria-current='step']")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Shipped")
    expect(current).to_contain_text("(current step)")
    expect(steps.nth(0)).to_contain_text("Received")
    expect(steps.nth(0)).to_contain_text("(done)")
    expect(steps.nth(4)).to_contain_text("Delivered")
    expect(steps.nth(4)).to_contain_text("(not yet)")
    expect(
        page.get_by_role("link", name=re.compile(re.escape(shipped["tracking"])))
    ).to_have_attribute("href", shipped["url"])
    expect(
        page.locator("ul.order-lines > li").first.get_by_role("heading", level=3)
    ).not_to_be_empty()
    expect(page.get_by_role("link", name="Cancel order")).to_have_count(0)


def test_cancel_an_order_without_javascript(
    member_page_without_js: Page, portal_server: PortalServer
) -> None:
    order = _shell(portal_server, _NEW_ORDER)
    page = member_page_without_js

    page.goto(f"/orders/{order['id']}/")
    assert_page_basics(page)
    expect(page.locator("ol.timeline > li[aria-current='step']")).to_contain_text("Received")
    page.get_by_role("link", name="Cancel order").click()

    assert_page_basics(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel order {order['number']}?")
    page.get_by_role("button", name="Yes, cancel this order").click()  # no reason chosen
    expect(page.get_by_role("alert")).to_contain_text("Choose why you are cancelling this order.")
    expect(page.get_by_label("Why are you cancelling?")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Why are you cancelling?").select_option("ordered_by_mistake")
    page.get_by_role("button", name="Yes, cancel this order").click()

    expect(page).to_have_url(re.compile(rf"/orders/{order['id']}/$"))
    expect(page.get_by_role("status")).to_contain_text(f"Order {order['number']} is cancelled")
    current = page.locator("ol.timeline > li[aria-current='step']")
    expect(current).to_contain_text("Cancelled")
    expect(current).to_contain_text("I ordered it by mistake")
    expect(page.get_by_text("Why this order was cancelled")).to_be_visible()
    state = _shell(portal_server, _ORDER_STATE % (order["id"], order["rx"]))
    assert state == {"status": "cancelled", "refills": order["refills"] + 1}


def test_add_a_shipping_address_without_javascript(
    member_page_without_js: Page, portal_server: PortalServer
) -> None:
    home = _shell(portal_server, _DEMO_ADDRESS)
    page = member_page_without_js

    page.goto("/orders/addresses/")
    assert_page_basics(page)
    expect(page.get_by_role("heading", name="Address on file")).to_be_visible()
    page.get_by_role("link", name="Add an address").click()
    assert_page_basics(page)

    page.get_by_label("Label (optional)").fill("Office")
    page.get_by_label("Recipient name").fill("Demo Member")
    page.get_by_label("Address line 1").fill("100 Pearl Street")
    page.get_by_label("Address line 2 (optional)").fill("Floor 7")
    page.get_by_label("City").fill(home["city"])
    page.get_by_label("State").fill(home["state"])
    page.get_by_label("ZIP code").fill("00000")
    page.get_by_role("button", name="Save address").click()

    assert_page_basics(page)
    expect(page.get_by_role("alert")).to_contain_text("ZIP code 00000 does not exist")
    zip_field = page.get_by_label("ZIP code")
    expect(zip_field).to_have_attribute("aria-invalid", "true")
    expect(zip_field).to_have_value("00000")
    expect(page.get_by_label("Address line 1")).to_have_value("100 Pearl Street")

    zip_field.fill(home["zip"])
    page.get_by_role("button", name="Save address").click()

    expect(page).to_have_url(re.compile(r"/orders/addresses/$"))
    expect(page.get_by_role("status")).to_contain_text("Address saved.")
    office = page.locator("li.address-card").filter(has_text="100 Pearl Street")
    expect(office).to_contain_text(f"{home['state']} {home['zip']}")

    # Leave the demo data as it was: remove it again, after the confirm step.
    office.get_by_role("link", name=re.compile("^Remove")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove this address?")
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.get_by_role("status")).to_contain_text("Address removed.")
    expect(page.locator("li.address-card").filter(has_text="100 Pearl Street")).to_have_count(0)
