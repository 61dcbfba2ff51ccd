"""Consent for adult dependents: the demo family's spouse (an adult dependent) signs in to
their own account and gives the subscriber access; the subscriber then sees the spouse's
claims; the spouse removes access again.

seed_demo gives the spouse the demo-spouse sign-in. Every grant is revoked at the end: other
browser tests share the demo member's family.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics
from tests.browser.test_signin_flow import (
    DEMO_CHALLENGE_ANSWER,
    answer_the_security_question,
    next_totp_code,
)

pytestmark = pytest.mark.browser

SPOUSE_USERNAME = "demo-spouse"
SPOUSE_PASSWORD = "Demo-Spouse-Passphrase-2026"

_SPOUSE_NAME = f"""
from rxportal.members.models import Member
print(Member.objects.get(user__username={SPOUSE_USERNAME!r}).full_name)
"""

_REVOKE_EVERY_GRANT = """
from django.utils import timezone
from rxportal.members.models import FamilyAccessGrant
FamilyAccessGrant.objects.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
"""


@pytest.fixture
def spouse_name(portal_server: PortalServer) -> Iterator[str]:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _SPOUSE_NAME)
    try:
        yield output.strip().splitlines()[-1]
    finally:
        portal_server.manage("shell", "--verbosity", "0", "-c", _REVOKE_EVERY_GRANT)


@pytest.fixture
def spouse_page(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    context = browser.new_context(base_url=portal_server.base_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def _sign_in_as_spouse(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill(SPOUSE_USERNAME)
    page.get_by_role("button", name="Continue").click()
    answer_the_security_question(page, DEMO_CHALLENGE_ANSWER)
    page.get_by_label("Password").fill(SPOUSE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def _person_options(page: Page) -> list[str]:
    page.goto("/claims/")
    select = page.get_by_label("Person", exact=True)
    if select.count() == 0:
        return []
    return [text.strip() for text in select.locator("option").all_inner_texts()]


def test_an_adult_dependent_grants_and_removes_access(
    member_page: Page, spouse_page: Page, spouse_name: str
) -> None:
    # Before: the subscriber is told why the spouse is not visible, and cannot see their claims.
    member_page.goto("/family/")
    assert_page_basics(member_page)
    spouse_row = member_page.get_by_role("listitem").filter(
        has=member_page.get_by_role("heading", name=spouse_name)
    )
    expect(spouse_row).to_contain_text("ask them to grant access from their own account")
    assert spouse_name not in _person_options(member_page)

    # The spouse signs in to their own account and gives access, after a confirmation.
    _sign_in_as_spouse(spouse_page)
    spouse_page.goto("/family/")
    assert_page_basics(spouse_page)
    expect(spouse_page.get_by_text("Private", exact=True)).to_be_visible()
    spouse_page.get_by_role("link", name="Give access").click()
    expect(spouse_page.get_by_role("heading", level=1)).to_contain_text("access to your records?")
    assert_page_basics(spouse_page)
    spouse_page.get_by_role("button", name="Yes, give access").click()
    expect(spouse_page).to_have_url(re.compile(r"/family/$"))
    expect(spouse_page.get_by_role("status")).to_contain_text("can now see your prescriptions")
    expect(spouse_page.get_by_text("Shared", exact=True)).to_be_visible()

    # The subscriber now sees the spouse: the reason, the claims filter, an ID card.
    member_page.goto("/family/")
    expect(spouse_row).to_contain_text("They gave you access on")
    assert spouse_name in _person_options(member_page)
    member_page.get_by_label("Person", exact=True).select_option(label=spouse_name)
    member_page.get_by_role("button", name="Show claims").click()
    expect(member_page.get_by_role("heading", level=1)).to_be_visible()
    assert_page_basics(member_page)
    member_page.goto("/id-card/")
    expect(member_page.get_by_role("heading", name=spouse_name)).to_be_visible()

    # The spouse removes access; the subscriber no longer sees them.
    spouse_page.goto("/family/")
    spouse_page.get_by_role("link", name="Remove access").click()
    spouse_page.get_by_role("button", name="Yes, remove access").click()
    expect(spouse_page.get_by_role("status")).to_contain_text("can no longer see")
    assert spouse_name not in _person_options(member_page)


def test_family_access_works_without_javascript(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict
) -> None:
    context = browser.new_context(
        base_url=portal_server.base_url,
        storage_state=demo_member_storage_state,  # type: ignore[arg-type]
        java_script_enabled=False,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/family/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Family access")
        expect(page.get_by_role("heading", name="Your family on your card")).to_be_visible()
        expect(page.get_by_text("Under 18").first).to_be_visible()
    finally:
        context.close()
