"""Drug search in a browser on the demo data: a misspelled name, a suggestion picked with the
keyboard (ARIA combobox), the drug page with the demo member's tier, rules and cheaper
alternatives; then the same search with JavaScript off."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

# A name on the demo member's formulary whose suggested drug (its first strength) has cheaper
# alternatives, preferring one with prior authorization or a quantity limit; if none has
# either, prior authorization is switched on for this module and switched off afterwards.
_PICK_DRUG = """
import json
from rxportal.formulary.models import DrugSearchName, FormularyEntry
from rxportal.members.models import Member
member = Member.objects.select_related("plan").get(user__username="demo-member")
names = {n.drug_id: n for n in DrugSearchName.objects.all()}
entries = [
    e for e in FormularyEntry.objects.filter(
        formulary_id=member.plan.formulary_id, drug_id__in=names, alternatives__isnull=False
    ).distinct().select_related("drug").order_by("drug__name")
]
entries.sort(key=lambda e: (not (e.prior_authorization or e.quantity_limit), e.drug.name))
chosen = entries[0]
switched = not (chosen.prior_authorization or chosen.quantity_limit)
if switched:
    FormularyEntry.objects.filter(pk=chosen.pk).update(prior_authorization=True)
    chosen.refresh_from_db()
print(json.dumps({
    "entry": chosen.pk,
    "switched": switched,
    "label": names[chosen.drug_id].label,
    "public_id": str(chosen.drug.public_id),
    "tier": chosen.get_tier_display(),
    "pa": chosen.prior_authorization,
    "ql": chosen.quantity_limit,
    "ql_amount": chosen.quantity_limit_amount,
    "ql_days": chosen.quantity_limit_days,
    "alternatives": chosen.alternatives.count(),
}))
"""
_SWITCH_BACK = """
from rxportal.formulary.models import FormularyEntry
FormularyEntry.objects.filter(pk=%d).update(prior_authorization=False)
"""


@pytest.fixture(scope="module")
def chosen(portal_server: PortalServer) -> Iterator[dict[str, Any]]:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _PICK_DRUG)
    found = json.loads(output.strip().splitlines()[-1])
    yield found
    if found["switched"]:
        portal_server.manage("shell", "--verbosity", "0", "-c", _SWITCH_BACK % found["entry"])


def misspelled(label: str) -> str:
    """The name with its third letter left out, lower case: "Intelence" -> "inelence"."""
    return (label[:2] + label[3:]).lower()


def expect_coverage(page: Page, chosen: dict[str, Any]) -> None:
    coverage = page.locator("section.coverage")
    expect(coverage).to_contain_text("Covered by your plan")
    facts = coverage.locator("dl.coverage-facts")
    expect(facts.locator("div", has_text="Tier")).to_contain_text(chosen["tier"])
    prior_authorization = facts.locator("div", has_text="Prior authorization")
    expect(prior_authorization).to_contain_text("Required" if chosen["pa"] else "Not required")
    quantity_limit = facts.locator("div", has_text="Quantity limit")
    if chosen["ql"] and chosen["ql_amount"]:
        expect(quantity_limit).to_contain_text(
            f"{chosen['ql_amount']} per {chosen['ql_days']} days"
        )
    elif not chosen["ql"]:
        expect(quantity_limit).to_contain_text("No limit")
    rows = page.locator("table.alternatives tbody tr")
    expect(rows).to_have_count(chosen["alternatives"])
    expect(rows.first.locator("th a")).to_be_visible()
    expect(rows.first.locator("td.num")).to_contain_text(re.compile(r"\$\d|No estimate"))


def test_keyboard_suggestion_opens_the_drug_page_with_coverage(
    member_page: Page, chosen: dict[str, Any]
) -> None:
    page = member_page
    page.goto("/drugs/")
    assert_page_basics(page)
    box = page.get_by_role("combobox", name="Drug name")
    expect(box).to_have_attribute("aria-expanded", "false")

    box.press_sequentially(misspelled(chosen["label"]), delay=30)

    listbox = page.get_by_role("listbox", name="Suggested drugs")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    names = [
        text.strip() for text in options.locator(".drug-search__option-name").all_inner_texts()
    ]
    assert chosen["label"] in names
    expect(page.locator("#drug-suggestions-status")).to_contain_text("suggestion")

    for _ in range(names.index(chosen["label"]) + 1):
        box.press("ArrowDown")
    active = page.locator(f"#{box.get_attribute('aria-activedescendant')}")
    expect(active).to_have_attribute("aria-selected", "true")
    expect(active).to_contain_text(chosen["label"])
    expect(box).to_be_focused()  # focus stays in the box (aria-activedescendant)
    box.press("Enter")

    page.wait_for_url(f"**/drugs/{chosen['public_id']}/")
    assert_page_basics(page)
    expect_coverage(page, chosen)
    expect(page.get_by_role("link", name="Estimate your cost")).to_have_attribute(
        "href", f"/costs/estimate/?drug={chosen['public_id']}"
    )


def test_escape_closes_the_suggestions_and_enter_then_searches(
    member_page: Page, chosen: dict[str, Any]
) -> None:
    page = member_page
    page.goto("/drugs/")
    box = page.get_by_role("combobox", name="Drug name")
    box.press_sequentially(misspelled(chosen["label"]), delay=30)
    expect(page.get_by_role("listbox", name="Suggested drugs")).to_be_visible()

    box.press("Escape")

    expect(page.locator("#drug-suggestions")).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value(misspelled(chosen["label"]))
    box.press("Enter")
    expect(page.locator("#results-heading")).to_contain_text(misspelled(chosen["label"]))
    expect(page.get_by_role("heading", level=3, name=chosen["label"], exact=True)).to_be_visible()


def test_the_same_search_works_without_javascript(
    member_page_without_js: Page, chosen: dict[str, Any]
) -> None:
    page = member_page_without_js
    page.goto("/drugs/")
    box = page.get_by_role("textbox", name="Drug name")
    expect(page.locator("#drug-suggestions")).to_be_hidden()
    box.fill(misspelled(chosen["label"]))
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page.locator("#results-heading")).to_contain_text(misspelled(chosen["label"]))
    assert_page_basics(page)
    result = page.locator("li.drug-result", has=page.get_by_role("heading", level=3,
                          name=chosen["label"], exact=True))  # fmt: skip
    result.locator(f"a[href='/drugs/{chosen['public_id']}/']").click()

    page.wait_for_url(f"**/drugs/{chosen['public_id']}/")
    assert_page_basics(page)
    expect_coverage(page, chosen)


def test_an_anonymous_visitor_is_asked_to_sign_in_for_coverage(
    page: Page, chosen: dict[str, Any]
) -> None:
    page.goto(f"/drugs/{chosen['public_id']}/")

    assert_page_basics(page)
    expect(page.get_by_role("link", name="Sign in to see your coverage")).to_be_visible()
    expect(page.locator("dl.coverage-facts")).to_have_count(0)
