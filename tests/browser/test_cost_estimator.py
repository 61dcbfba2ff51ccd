"""The cost estimator in a browser, as the demo member: estimate a drug, read why, compare the
options side by side, save a price quote and open it; and the same without JavaScript."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

QUOTE_URL_RE = re.compile(r"/costs/quotes/[0-9a-f-]{36}/$")

# A drug on the demo member's formulary, with a price, that mail order may fill.
_FIND_DRUG = """
import json
from rxportal.formulary.models import FormularyEntry
from rxportal.members.models import Member
member = Member.objects.select_related("plan").get(user__username="demo-member")
entry = (
    FormularyEntry.objects.filter(
        formulary_id=member.plan.formulary_id,
        drug__unit_cost_mode__isnull=False,
        mail_eligible=True,
        is_specialty=False,
        quantity_limit=False,
        tier__in=["generic", "preferred-generic", "preferred-brand"],
        drug__name__icontains="oral tablet",
    )
    .select_related("drug")
    .order_by("drug__name")
    .first()
)
print(json.dumps({"id": str(entry.drug.public_id), "name": entry.drug.name}))
"""


@pytest.fixture(scope="module")
def demo_drug(portal_server: PortalServer) -> dict[str, str]:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _FIND_DRUG)
    return dict(json.loads(output.strip().splitlines()[-1]))


def test_estimate_compare_save_and_open_a_quote(
    member_page: Page, demo_drug: dict[str, str]
) -> None:
    page = member_page
    page.goto(f"/costs/estimate/?drug={demo_drug['id']}")
    assert_page_basics(page)

    estimate = page.locator("section.estimate")
    expect(estimate.get_by_role("heading", name="Your estimate")).to_be_visible()
    expect(estimate.locator(".estimate__amount")).to_contain_text("You pay $")
    expect(estimate.get_by_role("heading", name="Why you pay this")).to_be_visible()
    expect(estimate.locator(".estimate__why li").last).to_contain_text("You pay $")
    expect(estimate.locator(".estimate__limits")).to_contain_text("deductible")

    table = page.locator("table.estimate-options__table")
    expect(table.locator("caption")).to_contain_text("over 90 days")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr.is-chosen")).to_contain_text("Retail, 30-day")
    expect(table.get_by_text("Cheapest").first).to_be_visible()

    # Choose mail order in the form and estimate again.
    page.get_by_label("Mail order, 90-day supply").check()
    page.get_by_role("button", name="Estimate my cost").click()
    expect(page.locator("table.estimate-options__table tbody tr.is-chosen")).to_contain_text(
        "Mail order"
    )
    amount = page.locator(".estimate__amount strong").inner_text()

    page.get_by_role("button", name="Save this price quote").click()
    expect(page).to_have_url(QUOTE_URL_RE)
    assert_page_basics(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Price quote")
    expect(page.get_by_text("Your price quote is saved.")).to_be_visible()
    quote_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator(".quote-id")).to_have_text(quote_id)
    expect(page.get_by_role("heading", name=f"You pay {amount}")).to_be_visible()
    expect(page.get_by_text("Valid", exact=True)).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Mail order, 90-day")

    page.get_by_role("link", name="All your price quotes").click()
    assert_page_basics(page)
    expect(page.locator(f"a[href$='/costs/quotes/{quote_id}/']")).to_be_visible()


def test_estimator_works_without_javascript(
    member_page_without_js: Page, demo_drug: dict[str, str]
) -> None:
    page = member_page_without_js
    page.goto("/costs/estimate/")
    assert_page_basics(page)
    page.get_by_label("Drug name").fill(demo_drug["name"])
    page.get_by_label("Days supply").fill("0")
    page.get_by_role("button", name="Estimate my cost").click()
    expect(page.locator(".error-summary")).to_contain_text("from 1 to 365")

    page.get_by_label("Days supply").fill("30")
    page.get_by_role("button", name="Estimate my cost").click()
    expect(page.locator(".estimate__amount")).to_contain_text("You pay $")
    expect(page.locator("table.estimate-options__table tbody tr")).to_have_count(3)

    page.get_by_role("button", name="Save this price quote").click()
    expect(page).to_have_url(QUOTE_URL_RE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Price quote")
