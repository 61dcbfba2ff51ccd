"""A service-center agent helps a caller without an ID card: finds the member by name, date of
birth and ZIP, opens their mail orders with a reason code, and the audit trail names who, whom
and why. In Spanish, at 360 px, without JavaScript, axe-clean on every page.

The agent is an account of its own (``sc-browser-agent``, set up like the demo staff), so its
authenticator's time steps are not shared with other tests' sign-ins.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics
from tests.browser.test_signin_flow import (
    DEMO_CHALLENGE_ANSWER,
    DEMO_TOTP_SECRET,
    TOTP_PERIOD,
    _totp,
)

pytestmark = pytest.mark.browser

AGENT = "sc-browser-agent"
AGENT_PASSWORD = "Service-Center-Browser-Passphrase-2026"

_SET_UP = f"""
import json
from rxportal.accounts.models import User
from rxportal.accounts.services.demo import prepare_demo_security
from rxportal.members.models import Member
from rxportal.core import clock
from rxportal.orders.selectors import list_mail_orders_for_staff
user, _ = User.objects.get_or_create(
    username={AGENT!r},
    defaults={{"email": "sc-browser-agent@example.com", "role": "service_center", "is_staff": True}},
)
user.set_password({AGENT_PASSWORD!r})
user.save()
prepare_demo_security(user=user)
User.objects.update_or_create(
    username="sc-browser-client",
    defaults={{
        "email": "sc-browser-client@example.com", "role": "client", "first_name": "Casey",
        "last_name": "Nguyen", "organization_claim": "Acme Manufacturing",
    }},
)
member = Member.objects.get(user__username="demo-member")
print(json.dumps({{
    "public_id": str(member.public_id),
    "first_name": member.first_name,
    "last_name": member.last_name,
    "dob": member.date_of_birth.isoformat(),
    "zip": member.zip_code,
    "orders": [
        order.order_number
        for order in list_mail_orders_for_staff(
            viewer=user, member=member, today=clock.today()
        ).orders
    ],
}}))
"""

_AUDIT = f"""
import json
from rxportal.audit.models import AuditEvent
print(json.dumps([
    [e.action, e.outcome, e.subject_id, e.reason, e.details]
    for e in AuditEvent.objects.filter(actor_username={AGENT!r}).order_by("sequence")
]))
"""

_used_steps: set[int] = set()


def _next_totp_code() -> str:
    while True:
        step = int(time.time()) // TOTP_PERIOD
        for candidate in (step, step + 1):
            if all(candidate > used for used in _used_steps):
                _used_steps.add(candidate)
                return _totp(DEMO_TOTP_SECRET, candidate)
        time.sleep(TOTP_PERIOD - time.time() % TOTP_PERIOD + 0.5)


def _last_json(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


def _sign_in_agent(browser: Browser, portal_server: PortalServer) -> dict[str, Any]:
    """Sign the agent in (English, with JavaScript) and hand back the session's cookies."""
    context = browser.new_context(base_url=portal_server.base_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username", exact=True).fill(AGENT)
        page.get_by_role("button", name="Continue").click()
        # A new browser: the challenge question comes before the SiteKey and password.
        expect(page).to_have_url(re.compile(r"/accounts/login/question/"))
        page.locator("#id_answer").fill(DEMO_CHALLENGE_ANSWER)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Password").fill(AGENT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.get_by_label("Code from your authenticator app").fill(_next_totp_code())
        page.get_by_role("button", name="Verify").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/"))
        return dict(context.storage_state())
    finally:
        context.close()


def _fits_360(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_an_agent_finds_a_member_by_name_reads_the_orders_and_the_audit_trail_has_it(
    browser: Browser, portal_server: PortalServer
) -> None:
    member = _last_json(portal_server.manage("shell", "--verbosity", "0", "-c", _SET_UP))
    state = _sign_in_agent(browser, portal_server)
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="es-US",
        viewport={"width": 360, "height": 740},
        java_script_enabled=False,
        storage_state=state,  # type: ignore[arg-type]
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/staff/")
        assert_page_basics(page)
        _fits_360(page)
        page.get_by_role("link", name="Buscar un miembro por nombre").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Buscar un miembro por nombre")
        assert_page_basics(page)
        _fits_360(page)
        # A wrong ZIP: nobody, and nothing about why.
        page.locator("#id_first_name").fill(member["first_name"])
        page.locator("#id_last_name").fill(member["last_name"])
        page.locator("#id_date_of_birth").fill(member["dob"])
        page.locator("#id_zip_code").fill("99999" if member["zip"][:5] != "99999" else "11111")
        page.get_by_role("button", name="Buscar").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "Ningún miembro único coincide con esos datos."
        )
        assert_page_basics(page)
        _fits_360(page)

        page.locator("#id_zip_code").fill(member["zip"])
        page.get_by_role("button", name="Buscar").click()
        expect(page).to_have_url(re.compile(rf"/staff/members/{member['public_id']}/records/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"{member['first_name']} {member['last_name']}"
        )
        assert_page_basics(page)
        _fits_360(page)

        page.locator("#orders_reason").select_option("order_question")
        page.get_by_role("button", name="Mostrar pedidos").click()
        expect(page).to_have_url(re.compile(r"/orders/\?reason=order_question$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Pedidos por correo de")
        expect(page.locator("main")).to_contain_text(
            "Motivo registrado: La persona que llama preguntó por un pedido."
        )
        assert member["orders"], "seed_demo gives the demo member mail orders"
        expect(page.locator("main tbody tr")).to_have_count(len(member["orders"]))
        for number in member["orders"]:
            expect(page.locator("main")).to_contain_text(number)
        assert_page_basics(page)
        _fits_360(page)

        # One order, then the claims and one claim: the other pages of the caller's records.
        page.locator("main tbody tr a").first.click()
        expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]+/\?reason=order_question$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Pedido")
        assert_page_basics(page)
        _fits_360(page)
        page.goto(f"/staff/members/{member['public_id']}/records/")
        page.locator("#claims_reason").select_option("claim_question")
        page.get_by_role("button", name="Mostrar reclamaciones").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Reclamaciones de")
        assert_page_basics(page)
        _fits_360(page)
        page.locator("main tbody tr a").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Reclamación")
        assert_page_basics(page)
        _fits_360(page)

        # A client who forgot their username: found by name, email on file and organization.
        page.goto("/staff/")
        page.get_by_role("link", name="Ayudar a un cliente o asesor").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ayudar a un cliente o asesor")
        assert_page_basics(page)
        _fits_360(page)
        page.locator("#id_first_name").fill("Casey")
        page.locator("#id_last_name").fill("Nguyen")
        page.locator("#id_email").fill("sc-browser-client@example.com")
        page.locator("#id_organization").fill("acme manufacturing")
        page.get_by_role("button", name="Buscar").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Casey Nguyen")
        expect(page.locator("main")).not_to_contain_text("sc-browser-client@")
        # Reminder, unlock, and the challenge-question reset (the service center's own power).
        expect(
            page.get_by_role("heading", name="Restablecer preguntas de seguridad")
        ).to_be_visible()
        assert_page_basics(page)
        _fits_360(page)
    finally:
        context.close()

    trail = _last_json(portal_server.manage("shell", "--verbosity", "0", "-c", _AUDIT))
    lookups = [e for e in trail if e[0] == "phi.staff.member.lookup"]
    assert [e[1] for e in lookups][-2:] == ["failure", "success"]
    assert lookups[-1][2] == member["public_id"]
    orders_viewed = [e for e in trail if e[0] == "phi.staff.member.orders.viewed"]
    assert orders_viewed[-1][1:4] == ["success", member["public_id"], "order_question"]
    assert orders_viewed[-1][4] == {"count": len(member["orders"]), "edge": "web"}
    text = json.dumps(trail)
    assert member["last_name"] not in text and member["dob"] not in text
