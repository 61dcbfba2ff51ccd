"""Which address counts as the client's, with and without trusted reverse proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from rxportal.audit.services import client_ip


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_forwarded_headers_are_ignored(settings) -> None:
    settings.RXPORTAL_TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_behind_one_proxy_the_entry_it_appended_is_the_client(settings) -> None:
    settings.RXPORTAL_TRUSTED_PROXY_COUNT = 1
    # The client forged the first entry; our proxy appended the real peer last.
    request = _request("10.0.0.2", "6.6.6.6, 198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(settings) -> None:
    settings.RXPORTAL_TRUSTED_PROXY_COUNT = 2
    request = _request("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.1")
    assert client_ip(request) == "198.51.100.7"


@pytest.mark.parametrize("forwarded", [None, "", " , "])
def test_a_missing_header_falls_back_to_the_peer_address(settings, forwarded) -> None:
    settings.RXPORTAL_TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2", forwarded)) == "10.0.0.2"
