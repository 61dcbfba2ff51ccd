"""The server's logs of a member's whole visit name nobody.

A second gunicorn serves the browser tests' database with production's logging (JSON lines at
INFO, the rxportal.access line per request, gunicorn's access log on). The demo member signs in
(question, SiteKey, password, authenticator code), opens claims and a claim, their family's
pages, orders a mail refill, and signs out. Then every line the server wrote is searched for the
family's names, dates of birth (several formats), member ids and email addresses: none may be
there. Paths in Django's own lines ("Not Found: /...") carry public ids only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.benchlib import gunicorn_serving
from tests.browser.conftest import ACTION_TIMEOUT_MS, DEMO_MEMBER_USERNAME, PortalServer
from tests.browser.test_prescriptions import _REFILLABLE, shell
from tests.browser.test_signin_flow import sign_in_as_demo_member

pytestmark = pytest.mark.browser

# The demo member's family: what must never be in a log line.
_FAMILY = """
import json
from rxportal.members.models import Member
member = Member.objects.get(user__username=%(username)r)
family = Member.objects.filter(subscriber=member) | Member.objects.filter(pk=member.pk)
print(json.dumps([{"first": m.first_name, "last": m.last_name, "dob": m.date_of_birth.isoformat(),
                   "member_id": m.member_id, "email": m.email,
                   "user_email": m.user.email if m.user else ""} for m in family]))
"""


def _date_formats(day: dt.date) -> list[str]:
    return [
        day.isoformat(),
        day.strftime("%m/%d/%Y"),
        f"{day.month}/{day.day}/{day.year}",
        f"{day.day}/{day.month}/{day.year}",
        day.strftime("%Y%m%d"),
        day.strftime("%m%d%Y"),
        day.strftime("%B %-d, %Y"),
        day.strftime("%b %-d, %Y"),
        day.strftime("%-d %B %Y"),
    ]


def _forbidden_patterns(family: list[dict[str, str]]) -> dict[str, re.Pattern[str]]:
    patterns: dict[str, re.Pattern[str]] = {}
    for person in family:
        for name in (person["first"], person["last"]):
            patterns[f"name {name}"] = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
        for text in _date_formats(dt.date.fromisoformat(person["dob"])):
            patterns[f"date of birth {text}"] = re.compile(re.escape(text), re.IGNORECASE)
        for key in ("member_id", "email", "user_email"):
            if person[key]:
                patterns[f"{key} {person[key]}"] = re.compile(re.escape(person[key]), re.I)
    return patterns


@pytest.fixture(scope="module")
def logged_server(
    portal_server: PortalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The same database and settings, logging as production does, into a file we read."""
    env = {**portal_server.env, "RXPORTAL_LOG_LEVEL": "INFO", "RXPORTAL_LOG_FORMAT": "json"}
    log_path = tmp_path_factory.mktemp("logged-server") / "server.log"
    access_log = ("--access-logfile", "-")  # gunicorn's too, on stdout: into the same file
    with gunicorn_serving(env, log_path=log_path, extra_args=access_log) as base_url:
        yield base_url, log_path


@pytest.fixture
def logged_page(browser: Browser, logged_server: tuple[str, Path]) -> Iterator[Page]:
    context = browser.new_context(base_url=logged_server[0], locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def _walk_a_members_visit(page: Page, portal_server: PortalServer) -> list[str]:
    """Sign in, claims, a claim, family pages, a mail refill, sign out. Returns the request ids
    the server gave the pages."""
    request_ids: list[str] = []
    page.on(
        "response", lambda response: request_ids.append(response.headers.get("x-request-id", ""))
    )
    page.goto("/accounts/login/")
    sign_in_as_demo_member(page, portal_server)

    page.goto("/claims/")
    link = page.locator("table.claims-history tbody a[href^='/claims/']").first
    link.click()
    expect(page.get_by_role("heading", name="Who paid what")).to_be_visible()
    for path in ("/benefits/", "/id-card/", "/family/", "/orders/", "/notifications/"):
        page.goto(path)
    page.goto("/claims/00000000-0000-4000-8000-000000000000/")  # a 404: Django logs its path

    rx = shell(portal_server, _REFILLABLE % {"username": DEMO_MEMBER_USERNAME})[0]
    page.goto("/prescriptions/")
    card = page.locator(f"#rx-{rx['id']}")
    card.get_by_label(re.compile(re.escape(rx["drug"]))).check()
    card.locator("xpath=ancestor::form").get_by_role("button", name="Refill selected").click()
    page.get_by_role("button", name="See the cost").click()
    page.get_by_role("button", name="Confirm refill").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your refill is requested")

    page.get_by_role("button", name="Sign out").first.click()
    return [request_id for request_id in request_ids if request_id]


def test_a_members_visit_leaves_no_name_birth_date_member_id_or_email_in_the_logs(
    logged_page: Page, logged_server: tuple[str, Path], portal_server: PortalServer
) -> None:
    family = shell(portal_server, _FAMILY % {"username": DEMO_MEMBER_USERNAME})
    assert len(family) >= 2, "the demo member's family"

    request_ids = _walk_a_members_visit(logged_page, portal_server)
    time.sleep(1)  # the workers' last lines
    lines = logged_server[1].read_text().splitlines()

    records = [json.loads(line) for line in lines]  # every line, gunicorn's own too, is JSON
    access = [r for r in records if r["logger"] == "rxportal.access"]
    assert {r["view"] for r in access} >= {"claims:list", "claims:detail", "web:dashboard"}
    assert set(request_ids) <= {r["request_id"] for r in access}
    gunicorn_access = [r for r in records if r["logger"] == "gunicorn.access"]
    assert set(request_ids) <= {r["request_id"] for r in gunicorn_access}
    not_found = [r for r in records if r["logger"] == "django.request"]
    assert any("/claims/00000000-0000-4000-8000-000000000000/" in r["message"] for r in not_found)
    assert all(r["request_id"] for r in not_found)

    found = [
        f"{what}: {line[:200]}"
        for line in lines
        for what, pattern in _forbidden_patterns(family).items()
        if pattern.search(line)
    ]
    assert found == []
