"""A Schedule II prescription on /prescriptions/ in a browser, as the demo member: no refill,
no automatic-refill switch, a new prescription offered instead (axe-clean, 360 px wide,
Spanish, and the request works without JavaScript)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_MEMBER_USERNAME, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

# The Schedule II prescriptions on the demo member's page (their own or a child's: the seed
# gives the demo family oxycodone and methylphenidate), without an open request for a new one.
_SCHEDULE_II = """
import json
from rxportal.core import clock
from rxportal.members.models import Member
from rxportal.prescriptions.selectors import list_prescriptions_by_person
member = Member.objects.get(user__username=%(username)r)
groups = list_prescriptions_by_person(viewer=member.user, today=clock.today())
rows = [row for group in groups for row in group.rows]
print(json.dumps([
    {"id": str(r.public_id), "drug": r.prescription.drug.display_name, "status": str(r.status),
     "refills": r.prescription.refills_authorized, "auto": r.prescription.auto_refill}
    for r in rows
    if r.prescription.drug.dea_schedule == "CII" and r.open_renewal is None
]))
"""


@pytest.fixture(scope="module")
def schedule_ii(portal_server: PortalServer) -> dict[str, str]:
    output = portal_server.manage(
        "shell", "--verbosity", "0", "-c", _SCHEDULE_II % {"username": DEMO_MEMBER_USERNAME}
    )
    found = json.loads(output.strip().splitlines()[-1])
    assert found, "the demo member needs a Schedule II prescription"
    # The seed writes lawful ones: no refills, no automatic refills.
    assert all(row["refills"] == 0 and not row["auto"] for row in found)
    return dict(found[0])


def _language(page: Page, portal_server: PortalServer, code: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": code, "url": portal_server.base_url}]
    )


def test_a_schedule_ii_prescription_offers_a_new_prescription_at_360_px(
    member_page: Page, portal_server: PortalServer, schedule_ii: dict[str, str]
) -> None:
    page = member_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/prescriptions/")
    assert_page_basics(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card = page.locator(f"#rx-{schedule_ii['id']}")

    expect(card).to_contain_text("No refills: request a new prescription")
    expect(card).to_contain_text("Federal law does not allow refills")
    expect(card).to_contain_text("Automatic refills: not allowed for Schedule II drugs")
    expect(card).not_to_contain_text("Refill now")
    expect(card.locator("input[type=checkbox]")).to_have_count(0)
    expect(card.get_by_role("button", name=re.compile("automatic refills"))).to_have_count(0)
    expect(
        card.get_by_role("button", name=re.compile(r"^Request a new prescription"))
    ).to_be_visible()

    _language(page, portal_server, "es")
    page.goto("/prescriptions/")
    assert_page_basics(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card = page.locator(f"#rx-{schedule_ii['id']}")
    expect(card).to_contain_text("Sin resurtidos: pida una receta nueva")
    expect(card).to_contain_text("La ley federal no permite resurtidos")
    expect(card.get_by_role("button", name=re.compile(r"^Pedir una receta nueva"))).to_be_visible()
    expect(card).not_to_contain_text("Schedule II")


def test_a_new_schedule_ii_prescription_is_requested_without_javascript(
    member_page_without_js: Page, schedule_ii: dict[str, str]
) -> None:
    page = member_page_without_js
    page.goto("/prescriptions/")
    card = page.locator(f"#rx-{schedule_ii['id']}")

    card.get_by_role("button", name=re.compile(r"^Request a new prescription")).click()

    expect(page.locator(".messages")).to_contain_text(
        re.compile(
            rf"Renewal requested on .*: we asked .* to renew {re.escape(schedule_ii['drug'])}"
        )
    )
    expect(page.locator(f"#rx-{schedule_ii['id']}")).to_contain_text("Renewal requested")
    assert_page_basics(page)
