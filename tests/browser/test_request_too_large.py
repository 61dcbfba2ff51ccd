"""Against the real server (gunicorn, gunicorn.conf.py, development settings): oversized request
bodies get the branded 413 page, and gunicorn bounds the headers."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

TOO_LARGE = 1024 * 1024 + 512 * 1024  # over the default 1 MiB


def _connection(portal_server: PortalServer) -> http.client.HTTPConnection:
    parts = urlsplit(portal_server.base_url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)


def test_gunicorn_answers_413_to_a_large_body_with_a_length(portal_server: PortalServer) -> None:
    connection = _connection(portal_server)
    connection.request(
        "POST",
        "/accounts/login/",
        body=b"username=dana&pad=" + b"x" * TOO_LARGE,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()

    assert response.status == 413
    assert b"What you sent is too large" in response.read()


def test_gunicorn_answers_413_to_a_large_chunked_body(portal_server: PortalServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(TOO_LARGE // 65536 + 1):
            yield b"x" * 65536

    connection = _connection(portal_server)
    connection.request(
        "POST",
        "/accounts/login/",
        body=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        encode_chunked=True,
    )

    assert connection.getresponse().status == 413


def test_gunicorn_refuses_a_flood_of_header_fields(portal_server: PortalServer) -> None:
    connection = _connection(portal_server)
    connection.putrequest("GET", "/healthz")
    for number in range(60):  # within gunicorn's default (100), over ours (50)
        connection.putheader(f"X-Filler-{number}", "1")
    connection.endheaders()

    assert connection.getresponse().status == 431  # Request Header Fields Too Large


@pytest.fixture
def spanish_phone_page(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="es-US",
        viewport={"width": 360, "height": 740},
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_upload_to_the_sign_in_page_gets_the_branded_413_page(
    page: Page, spanish_phone_page: Page, portal_server: PortalServer, language: str
) -> None:
    browser_page = spanish_phone_page if language == "es" else page
    browser_page.set_viewport_size({"width": 360, "height": 740})
    browser_page.goto("/healthz")
    # A form no portal page has: a "file" posted anonymously to the sign-in page.
    browser_page.set_content(
        '<form method="post" action="/accounts/login/" enctype="multipart/form-data">'
        f'<input type="hidden" name="file" value="{"x" * TOO_LARGE}">'
        "<button>Send</button></form>"
    )
    with browser_page.expect_navigation():
        browser_page.get_by_role("button", name="Send").click()

    heading = (
        "Lo que envió es demasiado grande" if language == "es" else ("What you sent is too large")
    )
    expect(browser_page.get_by_role("heading", level=1)).to_have_text(heading)
    assert browser_page.locator("html").get_attribute("lang") == language
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_page_basics(browser_page)
