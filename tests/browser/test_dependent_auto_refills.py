"""An adult dependent's automatic refill stays hers: the demo member's spouse (demo-spouse, who
has given the subscriber no access) turns on automatic refills, the daily job places the
order, and it shows in the spouse's orders, never in the subscriber's (list, dashboard, or the
order's page by its address).

The job is run through ``manage.py shell`` against the server's database; the other demo
prescriptions with automatic refills due are switched off for that run and back on after, so
the job places this test's order only (other browser tests share the demo data). The order is
cancelled at the end, which gives its refill back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PortalServer
from tests.browser.test_family_access import (  # noqa: F401 (fixtures)
    SPOUSE_USERNAME,
    _sign_in_as_spouse,
    spouse_name,
    spouse_page,
)
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

# One of the spouse's prescriptions, covered by mail, made due today with automatic refills off.
_SPOUSE_DUE_RX = f"""
import datetime as dt, json
from rxportal.core import clock
from rxportal.members.models import FamilyAccessGrant, Member
from rxportal.prescriptions.models import Prescription
from rxportal.prescriptions.selectors import estimate_refill_line
today = clock.today()
spouse = Member.objects.get(user__username={SPOUSE_USERNAME!r})
assert not FamilyAccessGrant.objects.filter(grantor=spouse, revoked_at__isnull=True).exists()
def covered(rx):
    estimate = estimate_refill_line(prescription=rx, fulfilment="mail", quantity=rx.quantity,
                                    days_supply=rx.days_supply, pharmacy=None)
    return estimate is not None and estimate.covered
rx = next(rx for rx in Prescription.objects.filter(member=spouse, status="active").order_by("pk")
          if covered(rx))
Prescription.objects.filter(pk=rx.pk).update(
    auto_refill=False, expires_on=today + dt.timedelta(days=200), refills_authorized=5,
    refills_remaining=3, last_filled_on=today - dt.timedelta(days=rx.days_supply + 5))
print(json.dumps({{"id": str(rx.public_id), "drug": rx.drug.display_name}}))
"""

# The daily job, for this test's prescription only; prints the order it placed.
_RUN_THE_JOB = """
import json
from rxportal.core import clock
from rxportal.orders.models import MailOrder
from rxportal.prescriptions.models import Prescription
from rxportal.prescriptions.services import run_due_auto_refills
others = list(Prescription.objects.filter(auto_refill=True).exclude(public_id=%(id)r)
              .values_list("pk", flat=True))
Prescription.objects.filter(pk__in=others).update(auto_refill=False)
try:
    run = run_due_auto_refills(today=clock.today(), now=clock.now())
finally:
    Prescription.objects.filter(pk__in=others).update(auto_refill=True)
order = MailOrder.objects.select_related("member__user").get(lines__prescription__public_id=%(id)r,
                                                             status="received")
print(json.dumps({"placed": len(run.placed), "failed": run.failed, "id": str(order.public_id),
                  "number": order.order_number, "for": order.member.user.username}))
"""

_CLEAN_UP = """
from rxportal.core import clock
from rxportal.orders.models import MailOrder
from rxportal.prescriptions.models import Prescription
from rxportal.prescriptions.services import cancel_refill_order
Prescription.objects.filter(public_id=%(id)r).update(auto_refill=False)
for order in MailOrder.objects.filter(lines__prescription__public_id=%(id)r, status="received"):
    cancel_refill_order(order=order, actor=None, reason="other", now=clock.now())
"""


def _shell(server: PortalServer, code: str) -> dict[str, Any]:
    output = server.manage("shell", "--verbosity", "0", "-c", code)
    return dict(json.loads(output.strip().splitlines()[-1]))


@pytest.fixture
def spouse_rx(portal_server: PortalServer) -> Iterator[dict[str, Any]]:
    rx = _shell(portal_server, _SPOUSE_DUE_RX)
    try:
        yield rx
    finally:
        portal_server.manage("shell", "--verbosity", "0", "-c", _CLEAN_UP % {"id": rx["id"]})


def test_a_spouses_automatic_refill_is_hers_and_not_the_subscribers(
    member_page: Page,
    spouse_page: Page,  # noqa: F811
    spouse_name: str,  # noqa: F811 (revokes any grant afterwards)
    spouse_rx: dict[str, Any],
    portal_server: PortalServer,
) -> None:
    # The spouse turns on automatic refills from her own prescriptions page.
    _sign_in_as_spouse(spouse_page)
    spouse_page.goto("/prescriptions/")
    card = spouse_page.locator(f"#rx-{spouse_rx['id']}")
    card.get_by_role("button", name=re.compile(r"^Turn on automatic refills")).click()
    expect(spouse_page.locator(".messages")).to_contain_text(
        f"Automatic refills are on for {spouse_rx['drug']}"
    )

    # The daily job places her refill: her order.
    placed = _shell(portal_server, _RUN_THE_JOB % {"id": spouse_rx["id"]})
    assert (placed["placed"], placed["failed"]) == (1, {})

    # The subscriber, without her consent, sees it nowhere, and its address is a 404.
    member_page.goto("/orders/")
    expect(member_page.get_by_role("heading", level=1)).to_have_text("Mail orders")
    expect(member_page.locator("main")).not_to_contain_text(placed["number"])
    member_page.goto("/dashboard/")
    expect(member_page.locator("main")).not_to_contain_text(placed["number"])
    response = member_page.goto(f"/orders/{placed['id']}/")
    assert response is not None and response.status == 404
    response = member_page.goto(f"/orders/{placed['id']}/cancel/")
    assert response is not None and response.status == 404

    # She sees her order, in her list and on its own page.
    spouse_page.goto("/orders/")
    assert_page_basics(spouse_page)
    order_card = spouse_page.locator("ul.order-list > li").filter(has_text=placed["number"])
    expect(order_card).to_contain_text(spouse_rx["drug"])
    order_card.get_by_role("link", name=f"Order {placed['number']}").click()
    expect(spouse_page.get_by_role("heading", level=1)).to_have_text(f"Order {placed['number']}")
    expect(spouse_page.locator("main")).to_contain_text(spouse_name.split()[0])
    assert_page_basics(spouse_page)
    assert placed["for"] == SPOUSE_USERNAME  # stored as hers, not as the subscriber's
