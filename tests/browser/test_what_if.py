"""The plan-design what-if in a browser without JavaScript, at 360 px, in English and Spanish:
the form (an error first, nothing lost), a run to its result, a second run, the list of past
runs, the side-by-side comparison and the progress page that refreshes itself. Every page is
axe-clean and fits the phone.

The what-if asks for what the drug-trend dashboard asks for: a live drug-trend grant. A new
client user of the demo client with the most claims is linked and granted it by the account
team (as in test_drug_trend), then tries it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_client_access import (
    ask_to_be_linked,
    decide,
    link_client,
    register_client,
    request_tool,
    sign_in_agent,
)
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360
_SET_UP = """
import json
from django.db.models import Count
from rxportal.claims.models import Claim
from rxportal.plans.models import Plan
from rxportal.whatif.models import RunStatus, WhatIfRun
plan = Plan.objects.annotate(n=Count("claims")).order_by("-n").first()
running = WhatIfRun.objects.create(
    client=plan.client, plan=plan, inputs={}, inputs_hash="browser" + "0" * 57,
    status=RunStatus.RUNNING, claims_total=400, claims_done=100,
)
print(json.dumps({"client": str(plan.client.public_id), "plan": str(plan.public_id),
                  "name": plan.client.name,
                  "running": str(running.public_id)}))
"""


def _last_json(output: str) -> dict[str, Any]:
    return dict(json.loads(output.strip().splitlines()[-1]))


def _check(page: Page) -> None:
    assert_page_basics(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, page.url


@pytest.fixture(scope="module")
def scene(browser: Browser, portal_server: PortalServer) -> dict[str, Any]:
    """The demo client with the most claims, a run left in progress, and a new client user of
    theirs granted drug-trend reports, signed in once (English) for both tests."""
    found = _last_json(portal_server.manage("shell", "--verbosity", "0", "-c", _SET_UP))
    email = f"whatif-{uuid.uuid4().hex[:10]}@example.org"
    client_context = browser.new_context(
        base_url=portal_server.base_url, locale="en-US",
        viewport={"width": PHONE_WIDTH, "height": 800}, java_script_enabled=False,
    )  # fmt: skip
    agent_context = browser.new_context(  # the shared steps check every page at 360 px
        base_url=portal_server.base_url, locale="en-US",
        viewport={"width": PHONE_WIDTH, "height": 800},
    )  # fmt: skip
    for context in (client_context, agent_context):
        context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        client, agent = client_context.new_page(), agent_context.new_page()
        register_client(client, portal_server, email)
        ask_to_be_linked(client)
        sign_in_agent(agent)
        link_client(agent, email, client_name=found["name"])
        request_id = request_tool(client, "Drug-trend reports")
        decide(agent, request_id, decision="Approve", reason="Confirmed by phone.")
        return {**found, "state": client_context.storage_state()}
    finally:
        client_context.close()
        agent_context.close()


def _phone(
    browser: Browser, portal_server: PortalServer, state: Any, locale: str
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale=locale,
        viewport={"width": PHONE_WIDTH, "height": 800},
        java_script_enabled=False,
        storage_state=state,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_form_to_result_to_comparison_and_progress_without_javascript(
    browser: Browser, portal_server: PortalServer, scene: dict[str, Any]
) -> None:
    base = f"/clients/{scene['client']}/tools/drug-trend/what-if/"
    for page in _phone(browser, portal_server, scene["state"], "en-US"):
        page.goto(base)
        expect(page.get_by_role("heading", level=1)).to_have_text("Plan-design what-if")
        _check(page)

        page.get_by_role("link", name="Try a change").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Try a plan-design change")
        page.locator("#id_plan").select_option(scene["plan"])
        page.locator("#id_copay_1").fill("7")  # no tier: refused, and kept
        page.get_by_role("button", name="Run the what-if").click()
        expect(page.locator("main")).to_contain_text("Choose the tier this new amount is for.")
        expect(page.locator("#id_copay_1")).to_have_value("7")
        expect(page.locator("#id_plan")).to_have_value(scene["plan"])
        _check(page)

        page.locator("#id_tier_1").select_option("generic")
        page.locator("#id_deductible_individual").fill("0")
        page.get_by_role("button", name="Run the what-if").click()
        expect(page).to_have_url(re.compile(rf"{base}[0-9a-f-]{{36}}/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("What-if result")
        expect(page.locator("main")).to_contain_text("Deductible per person: $0.00")
        expect(page.locator("main")).to_contain_text("Generic, every channel: copay $7.00")
        expect(page.locator("main")).to_contain_text("Plan cost after")
        _check(page)

        page.get_by_role("link", name="New what-if").click()
        page.locator("#id_plan").select_option(scene["plan"])
        page.locator("#id_mail_copay_months").fill("2")
        page.get_by_role("button", name="Run the what-if").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("What-if result")
        expect(page.locator("main")).to_contain_text("2 months of the retail copay")

        page.get_by_role("link", name="Past what-ifs").click()
        _check(page)
        page.get_by_role("button", name="Compare").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Compare two what-ifs")
        expect(page.get_by_role("table")).to_contain_text("Member cost after")
        _check(page)

        response = page.goto(f"{base}{scene['running']}/")
        assert response is not None and response.headers["refresh"] == "2"
        expect(page.get_by_role("heading", level=1)).to_have_text("What-if in progress")
        expect(page.locator("progress")).to_have_attribute("value", "25")
        _check(page)
        page.get_by_role("link", name="Stop refreshing").click()
        expect(page.locator("main")).to_contain_text("This page does not refresh itself.")
        _check(page)


def test_the_what_if_in_spanish(
    browser: Browser, portal_server: PortalServer, scene: dict[str, Any]
) -> None:
    base = f"/clients/{scene['client']}/tools/drug-trend/what-if/"
    for page in _phone(browser, portal_server, scene["state"], "es-US"):
        page.goto(f"{base}new/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Pruebe un cambio en el diseño del plan"
        )
        _check(page)
        page.locator("#id_plan").select_option(scene["plan"])
        page.locator("#id_oop_max_individual").fill("9000")
        page.get_by_role("button", name="Hacer la simulación").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Resultado de la simulación")
        expect(page.locator("main")).to_contain_text("Miembros que pagarían menos")
        _check(page)
        page.goto(f"{base}{scene['running']}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Simulación en curso")
        _check(page)
