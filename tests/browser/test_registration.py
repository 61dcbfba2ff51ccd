"""A plan member registers end to end in the browser: from the sign-in page's "Register" link,
through the eligibility match, the account step (password, SiteKey picture and phrase, three
challenge questions) and the emailed code, to the second-factor enrolment page.

The member is an adult from the seeded demo data who has no account yet; the code is read from
the file email backend the browser-test server writes to (``read_latest_email``).
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

PASSWORD = "Lanterns glow over the quiet harbor"
SITEKEY_PHRASE = "Lighthouse soup on Sundays"
QUESTIONS = ("first-pet", "first-concert", "childhood-nickname")
CODE_RE = re.compile(r"^\s*([A-Z0-9][A-Z0-9-]{4,}[A-Z0-9])\s*$", re.MULTILINE)

_UNREGISTERED_ADULT = """
import datetime as dt, json
from rxportal.core import clock
from rxportal.members.models import Member
today = clock.today()
latest = today.replace(year=today.year - 19, day=1)
member = (
    Member.objects.filter(user__isnull=True, date_of_birth__lte=latest)
    .order_by("-pk").first()
)
print(json.dumps(None if member is None else {
    "public_id": str(member.public_id),
    "member_id": member.member_id,
    "first_name": member.first_name,
    "last_name": member.last_name,
    "date_of_birth": member.date_of_birth.isoformat(),
    "zip_code": member.zip_code,
}))
"""

_LINKED_USER = """
import json
from rxportal.members.models import Member
member = Member.objects.select_related("user").get(public_id=%r)
user = member.user
print(json.dumps(None if user is None else {"username": user.username, "role": user.role}))
"""

# Like assert_page_basics' check, but a label's text includes the alt text of its pictures
# (the SiteKey choices are pictures).
UNLABELLED_CONTROLS_JS = """() => Array.from(
    document.querySelectorAll('input:not([type=hidden]), select, textarea, button')
).filter((el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
    if (el.tagName === 'BUTTON') return el.textContent.trim() === '';
    const text = (label) => label.textContent.trim()
        + Array.from(label.querySelectorAll('img')).map((img) => img.alt).join('');
    return !(el.labels && Array.from(el.labels).some((l) => text(l) !== ''));
}).map((el) => el.outerHTML)"""


def _shell_json(portal_server: PortalServer, code: str) -> object:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", code)
    return json.loads(output.strip().splitlines()[-1])


def _collect_csp_violations(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_a_member_registers_and_lands_on_second_factor_enrolment(
    page: Page, portal_server: PortalServer
) -> None:
    member = _shell_json(portal_server, _UNREGISTERED_ADULT)
    assert isinstance(member, dict), "the seeded data has no adult member without an account"
    email = f"reg-{uuid.uuid4().hex[:10]}@example.org"
    sent_before = len(portal_server.sent_emails())
    csp_violations = _collect_csp_violations(page)

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Register for an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    assert_page_basics(page)
    page.get_by_role("link", name="Register as a plan member").click()

    # Step 1: the details on the card, typed as a person might (capitals, spaces, dashes).
    expect(page).to_have_url(re.compile(r"/accounts/register/member/$"))
    assert_page_basics(page)
    page.get_by_label("Member ID").fill(f"  {member['member_id'].lower()} ")
    page.get_by_label("First name").fill(member["first_name"].upper())
    page.get_by_label("Last name").fill(f" {member['last_name']} ")
    page.get_by_label("Date of birth").fill(member["date_of_birth"])
    page.get_by_label("ZIP code").fill(member["zip_code"][:5])
    page.get_by_role("button", name="Continue").click()

    # Step 2: the account.
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your sign-in")
    assert page.evaluate(UNLABELLED_CONTROLS_JS) == []
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("radio", name="A green teapot").check()
    page.get_by_label("Your SiteKey phrase").fill(SITEKEY_PHRASE)
    for number, question in enumerate(QUESTIONS, start=1):
        page.get_by_label(f"Question {number}", exact=True).select_option(question)
        page.get_by_label(f"Answer to question {number}").fill(f"answer number {number}")
    page.get_by_role("button", name="Create my account").click()

    # Step 3: the emailed code.
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.locator("main")).to_contain_text(email)
    assert_page_basics(page)
    message = portal_server.read_latest_email(to=email, after=sent_before)
    match = CODE_RE.search(message.body)
    assert match, message.body
    page.get_by_label("Code from the email").fill(match.group(1))
    page.get_by_role("button", name="Confirm").click()

    # Signed in, but held on the second-factor page: no PHI before a second factor.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    expect(page.locator("main")).to_contain_text("One more step before your account opens")
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    assert_page_basics(page)
    assert csp_violations == []

    linked = _shell_json(portal_server, _LINKED_USER % member["public_id"])
    assert linked == {"username": email, "role": "member"}


def test_details_that_match_nobody_get_one_plain_answer(page: Page) -> None:
    page.goto("/accounts/register/member/")
    page.get_by_label("Member ID").fill("NOPE-0000")
    page.get_by_label("First name").fill("Nobody")
    page.get_by_label("Last name").fill("Atall")
    page.get_by_label("Date of birth").fill("1970-01-01")
    page.get_by_label("ZIP code").fill("06103")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "We couldn't match those details to a plan member."
    )
    expect(page.get_by_label("First name")).to_have_value("Nobody")
    assert_page_basics(page)


_TAKEN_USERNAME = """
import json
from rxportal.accounts.models import User
print(json.dumps(
    User.objects.filter(is_active=True).order_by("pk").values_list("username", flat=True).first()
))
"""

_ACCOUNT_FOOTPRINT = """
import json
from rxportal.accounts.models import User
from rxportal.members.models import Member
print(json.dumps({
    "users": User.objects.count(),
    "with_email": User.objects.filter(email=%r).count(),
    "rehearsals": User.objects.filter(username__startswith="rehearsal-").count(),
    "member_user": Member.objects.get(public_id=%r).user_id,
}))
"""


def test_a_taken_username_looks_like_a_new_account_and_leaves_nothing_behind(
    page: Page, portal_server: PortalServer
) -> None:
    """The taken path (which rehearses the new account's writes against the real database and
    rolls them back, so it takes as long): the same code page, the typed inbox told why, and
    no account, no stand-in row, no member link left."""
    member = _shell_json(portal_server, _UNREGISTERED_ADULT)
    assert isinstance(member, dict), "the seeded data has no adult member without an account"
    taken = _shell_json(portal_server, _TAKEN_USERNAME)
    assert isinstance(taken, str)
    email = f"reg-{uuid.uuid4().hex[:10]}@example.org"
    footprint = _ACCOUNT_FOOTPRINT % (email, member["public_id"])
    before = _shell_json(portal_server, footprint)
    sent_before = len(portal_server.sent_emails())

    page.goto("/accounts/register/member/")
    page.get_by_label("Member ID").fill(member["member_id"])
    page.get_by_label("First name").fill(member["first_name"])
    page.get_by_label("Last name").fill(member["last_name"])
    page.get_by_label("Date of birth").fill(member["date_of_birth"])
    page.get_by_label("ZIP code").fill(member["zip_code"][:5])
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Username (optional)").fill(taken.upper())
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("radio", name="A green teapot").check()
    page.get_by_label("Your SiteKey phrase").fill(SITEKEY_PHRASE)
    for number, question in enumerate(QUESTIONS, start=1):
        page.get_by_label(f"Question {number}", exact=True).select_option(question)
        page.get_by_label(f"Answer to question {number}").fill(f"answer number {number}")
    page.get_by_role("button", name="Create my account").click()

    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.locator("main")).to_contain_text(email)
    assert_page_basics(page)
    message = portal_server.read_latest_email(to=email, after=sent_before)
    assert "was not created" in message.subject
    assert taken not in message.body
    assert _shell_json(portal_server, footprint) == {**before, "with_email": 0}
    assert before == {**before, "rehearsals": 0, "member_user": None}
