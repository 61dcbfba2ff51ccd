"""The page frame (base.html's header and footer) is rendered once per process per key and
copied after (``rxportal.web.frame``): each test checks that a second request renders nothing,
or that what the key must cover (language, role, current page, unread count, support line) and
what is spliced in per request (CSRF token, return path) still differ per request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import Role
from rxportal.notifications.selectors import forget_unread_count
from rxportal.web import frame
from tests.conftest import Family
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_frame_cache() -> Iterator[None]:
    frame.clear()
    yield
    frame.clear()


@pytest.fixture
def renders() -> Iterator[mock.MagicMock]:
    with mock.patch.object(frame, "_render_fragment", wraps=frame._render_fragment) as spy:
        yield spy


def _get(client: Client, url: str, **headers: Any) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()


def _header(html: str) -> str:
    return html[html.index('<a class="skip-link"') : html.index("</header>")]


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _current(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" aria-current="page">', _header(html))


def test_a_second_request_renders_no_frame(client: Client, renders: mock.MagicMock) -> None:
    _get(client, reverse("web:home"))
    assert renders.call_count == 2  # the header and the footer

    html = _get(client, reverse("web:home"))

    assert renders.call_count == 2
    assert "Skip to main content" in html
    assert "Member services" in html


def test_a_members_cached_dashboard_renders_no_frame_on_its_second_view(
    client: Client, family: Family, renders: mock.MagicMock
) -> None:
    client.force_login(family.subscriber.user)
    _get(client, reverse("web:dashboard"))
    rendered = renders.call_count

    html = _get(client, reverse("web:dashboard"))

    assert renders.call_count == rendered
    assert reverse("prescriptions:list") in _header(html)
    assert _current(html) == [reverse("web:dashboard")]


def test_the_cached_frame_is_the_one_rendered_afresh(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)
    url = reverse("prescriptions:list")
    first = _get(client, url)

    second = _get(client, url)

    # Django masks the session's token anew for each page: byte for byte apart from it.
    assert _without_tokens(first) == _without_tokens(second)


def test_each_request_gets_its_own_csrf_token_and_return_path(client: Client) -> None:
    other = Client()
    first = _get(client, reverse("formulary:search") + '?q=refill&x="b')
    second = _get(other, reverse("web:home"))

    first_token = client.cookies["csrftoken"].value
    second_token = other.cookies["csrftoken"].value
    assert first_token != second_token
    for html in (first, second):
        assert frame.CSRF_PLACEHOLDER not in html
        assert frame.NEXT_PLACEHOLDER not in html
    assert 'name="next" value="/drugs/?q=refill&amp;x=%22b"' in first
    assert 'name="next" value="/"' in second
    # Django masks the token per rendering: the field is there, once per form.
    assert first.count('name="csrfmiddlewaretoken"') == second.count('name="csrfmiddlewaretoken"')
    assert first.count('name="csrfmiddlewaretoken"') >= 1


def test_the_frame_follows_the_language(client: Client) -> None:
    english = _get(client, reverse("web:home"))

    spanish = _get(client, reverse("web:home"), **{"Accept-Language": "es"})

    assert "Skip to main content" in english
    assert "Skip to main content" not in spanish
    assert 'lang="es"' in spanish
    assert "Need help?" in english
    assert "Need help?" not in spanish


def test_the_current_item_follows_the_page(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    prescriptions = _get(client, reverse("prescriptions:list"))
    claims = _get(client, reverse("claims:list"))
    finder = _get(client, reverse("pharmacies:finder"))

    assert _current(prescriptions) == [reverse("prescriptions:list")]
    assert _current(claims) == [reverse("claims:list")]
    assert _current(finder) == [reverse("pharmacies:finder")]


def test_the_frame_follows_who_is_signed_in(client: Client, family: Family) -> None:
    anonymous = _get(client, reverse("pharmacies:finder"))
    sponsor = UserFactory(role=Role.CLIENT)
    client.force_login(sponsor)
    as_client = _get(client, reverse("pharmacies:finder"))
    client.force_login(family.subscriber.user)
    as_member = _get(client, reverse("pharmacies:finder"))

    assert reverse("account_login") in _header(anonymous)
    assert reverse("clients:home") in _header(as_client)
    assert reverse("prescriptions:list") not in _header(as_client)
    assert reverse("prescriptions:list") in _header(as_member)
    assert reverse("clients:home") not in _header(as_member)


def test_the_unread_count_moves_the_cached_header(client: Client, family: Family) -> None:
    user = family.subscriber.user
    client.force_login(user)
    before = _get(client, reverse("pharmacies:finder"))
    with mock.patch("rxportal.web.context_processors.count_unread", return_value=3):
        forget_unread_count(user)
        after = _get(client, reverse("pharmacies:finder"))

    assert "3 unread" not in before
    assert "3 unread" in after


def test_the_lru_keeps_at_most_its_bound(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frame, "MAX_ENTRIES", 1)
    _get(client, reverse("web:home"))

    assert len(frame._fragments) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/drugs/?q=" + frame._CSRF_FIELD_PLACEHOLDER + "&n=" + frame._NEXT_ATTRS_PLACEHOLDER,
        "/no-such-page/" + frame.CSRF_PLACEHOLDER + "/" + frame.NEXT_PLACEHOLDER + "/",
    ],
    ids=["search", "not-found"],
)
def test_text_spelling_a_placeholder_never_gets_the_token_nor_breaks_out(
    client: Client, url: str
) -> None:
    """The placeholders are swapped in the cached header only, as whole attributes, the token
    before the return path: a query or a path that spells them stays escaped text."""
    plain = client.get(reverse("formulary:search"))
    response = client.get(url)

    html = response.content.decode()
    token_fields = re.findall(
        r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">', html
    )
    assert len(token_fields) == plain.content.decode().count('name="csrfmiddlewaretoken"')
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', token_fields[0])
    assert token is not None
    assert html.count(token.group(1)) == 1  # in the language form's field, nowhere else
    [next_value] = re.findall(r'name="next" value="([^"]*)"', _header(html))
    assert '"' not in next_value and "<" not in next_value
    assert frame.CSRF_PLACEHOLDER in next_value  # the return path kept as it was sent
