"""Claims history in a browser, as the demo member: totals and chart, filters by person and
dates, sorting, the next page and back, a claim's page, the CSV download, and all of it without
JavaScript."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_MEMBER_USERNAME, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

# The demo member's claims scope and plan-year totals, from the selectors the page uses.
_FAMILY = """
import json
from rxportal.accounts.models import User
from rxportal.claims.domain import ClaimQuery
from rxportal.claims.selectors import find_claim_scope, get_claim_summary
from rxportal.core import clock
user = User.objects.get(username=%r)
scope = find_claim_scope(viewer=user, today=clock.today())
summary = get_claim_summary(scope=scope, query=ClaimQuery(period=scope.default_period),
                            today=clock.today())
print(json.dumps({
    "people": [{"id": str(p.public_id), "name": p.full_name, "first_name": p.first_name}
               for p in scope.people],
    "plan_year": scope.plan.plan_year,
    "you_paid": str(summary.you_paid),
    "plan_paid": str(summary.plan_paid),
    "claims": summary.claim_count,
}))
"""


@pytest.fixture(scope="module")
def family(portal_server: PortalServer) -> dict[str, Any]:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _FAMILY % DEMO_MEMBER_USERNAME)
    return dict(json.loads(output.strip().splitlines()[-1]))


def amount(text: str) -> Decimal:
    return Decimal(text.strip().replace("$", "").replace(",", ""))


def total(page: Page, label: str) -> Decimal:
    return amount(page.locator(".claims-totals div", has_text=label).locator("dd").inner_text())


def rows(page: Page) -> Any:
    return page.locator("table.claims-history tbody tr")


def claim_links(page: Page) -> list[str]:
    return [
        str(link.get_attribute("href"))
        for link in page.locator("table.claims-history tbody a[href^='/claims/']").all()
    ]


def test_history_shows_the_plan_year_totals_chart_and_claims(
    member_page: Page, family: dict[str, Any]
) -> None:
    page = member_page
    page.goto("/claims/")

    expect(page.get_by_role("heading", level=1, name="Claims history")).to_be_visible()
    assert_page_basics(page)
    assert total(page, "You paid") == Decimal(family["you_paid"])
    assert total(page, "Plan paid") == Decimal(family["plan_paid"])
    expect(page.locator("#list-heading")).to_be_visible()
    expect(page.locator("figure.spending-chart svg[role='img']")).to_be_visible()
    expect(page.locator("figure.spending-chart figcaption")).to_be_visible()
    page.get_by_text("Show the monthly amounts as a table").click()
    expect(page.get_by_role("table", name="Paid claims by month")).to_be_visible()
    expect(rows(page)).to_have_count(min(25, family["claims"]))
    expect(page.locator("#claims-caption")).to_contain_text(f"{family['claims']} claims match")


def test_filter_by_person_and_dates(member_page: Page, family: dict[str, Any]) -> None:
    page = member_page
    person = family["people"][-1]  # a child when the family shows more than one person
    year = family["plan_year"]
    page.goto("/claims/")

    if len(family["people"]) > 1:
        page.get_by_label("Person", exact=True).select_option(person["id"])
    page.get_by_label("From", exact=True).fill(f"{year}-01-01")
    page.get_by_label("To", exact=True).fill(f"{year}-06-30")
    page.get_by_role("button", name="Show claims").click()

    assert f"date_to={year}-06-30" in page.url  # a GET form: the search is bookmarkable
    expect(page.locator("#totals-heading")).to_contain_text(f"to June 30, {year}")
    expect(page.get_by_label("To", exact=True)).to_have_value(f"{year}-06-30")
    if len(family["people"]) > 1:
        people = set(page.locator("table.claims-history tbody td:nth-child(2)").all_inner_texts())
        assert people <= {person["first_name"]}
    assert_page_basics(page)


def test_sort_by_what_you_paid(member_page: Page) -> None:
    page = member_page
    page.goto("/claims/")

    page.get_by_label("Sort by").select_option("you_paid-desc")
    page.get_by_role("button", name="Show claims").click()
    # Read the rows only once the sorted page is there (the click does not wait for it).
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("You paid")

    paid = [
        amount(t)
        for t in page.locator(
            "table.claims-history tbody td.num:nth-last-child(2)"
        ).all_inner_texts()
    ]
    assert paid and paid == sorted(paid, reverse=True)
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("You paid")

    page.locator("th[aria-sort='descending'] a").click()  # the column header flips the order
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("You paid")

    paid = [
        amount(t)
        for t in page.locator(
            "table.claims-history tbody td.num:nth-last-child(2)"
        ).all_inner_texts()
    ]
    assert paid == sorted(paid)
    assert "sort=you_paid-asc" in page.url


def test_older_page_and_back(member_page: Page, family: dict[str, Any]) -> None:
    if family["claims"] <= 25:
        pytest.skip("the demo family has a single page of claims this plan year")
    page = member_page
    page.goto("/claims/")
    first_page = claim_links(page)

    page.get_by_role("link", name="Older claims").click()

    second_page = claim_links(page)
    assert second_page and not set(second_page) & set(first_page)
    assert "after=" in page.url
    page.get_by_role("link", name="Newer claims").click()
    assert claim_links(page) == first_page
    expect(page.get_by_role("link", name="Newer claims")).to_have_count(0)


def test_open_a_claim(member_page: Page) -> None:
    page = member_page
    page.goto("/claims/")
    link = page.locator("table.claims-history tbody a[href^='/claims/']").first
    drug = link.inner_text()

    link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(drug)
    expect(page.get_by_role("heading", name="Who paid what")).to_be_visible()
    expect(page.get_by_text("Total cost")).to_be_visible()
    assert_page_basics(page)
    page.get_by_role("link", name="Back to claims history").click()
    expect(page.get_by_role("heading", level=1, name="Claims history")).to_be_visible()


def test_download_csv(member_page: Page, family: dict[str, Any]) -> None:
    page = member_page
    page.goto("/claims/")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as a spreadsheet (CSV)").click()
    download = download_info.value

    assert download.suggested_filename.startswith("claims-")
    path = download.path()
    with open(path, encoding="utf-8-sig", newline="") as file:
        header, *lines = list(csv.reader(file))
    assert header[:3] == ["Claim number", "Date of service", "Person"]
    assert len(lines) == family["claims"]
    counted = [line for line in lines if line[header.index("Counted in totals")] == "yes"]
    assert sum(amount(line[header.index("You paid")]) for line in counted) == Decimal(
        family["you_paid"]
    )


def test_everything_works_without_javascript(
    member_page_without_js: Page, family: dict[str, Any]
) -> None:
    page = member_page_without_js
    year = family["plan_year"]
    page.goto("/claims/")
    expect(page.locator("figure.spending-chart")).to_be_visible()

    page.get_by_label("From", exact=True).fill(f"{year}-01-01")
    page.get_by_label("To", exact=True).fill(f"{year}-12-31")
    page.get_by_label("Sort by").select_option("date-asc")
    page.get_by_role("button", name="Show claims").click()

    assert "sort=date-asc" in page.url
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Date")
    if family["claims"] > 25:
        page.get_by_role("link", name="Newer claims").click()
        assert "after=" in page.url
        expect(rows(page).first).to_be_visible()
    page.locator("table.claims-history tbody a[href^='/claims/']").first.click()
    expect(page.get_by_role("heading", name="Who paid what")).to_be_visible()

    page.goto("/claims/?date_from=2026-05-01&date_to=2026-04-01")
    expect(page.get_by_role("alert")).to_contain_text("The end date is before the start date.")
