"""Request ids: one per request, in every log line it causes and in the response."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils.module_loading import import_string

from rxportal.operations.request_ids import RequestIdLogFilter

pytestmark = pytest.mark.django_db

HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_each_response_carries_a_new_request_id(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert HEX_ID.fullmatch(first)
    assert HEX_ID.fullmatch(second)
    assert first != second


def test_without_a_trusted_proxy_the_callers_id_is_ignored(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="chosen-by-the-caller-123")

    assert response["X-Request-ID"] != "chosen-by-the-caller-123"


@override_settings(RXPORTAL_TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_its_well_formed_id_is_kept(client: Client) -> None:
    proxy_id = "5f0c2f1e9a8b4c7d8e6f5a4b3c2d1e0f"

    response = client.get("/healthz", HTTP_X_REQUEST_ID=proxy_id)

    assert response["X-Request-ID"] == proxy_id


@override_settings(RXPORTAL_TRUSTED_PROXY_COUNT=1)
@pytest.mark.parametrize(
    "offered",
    ["dana.rivera@example.org", "short", "x" * 65, "Dana Rivera 1980-06-15", "id\nforged line"],
)
def test_a_malformed_id_is_replaced(client: Client, offered: str) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID=offered)

    assert HEX_ID.fullmatch(response["X-Request-ID"])


def test_log_lines_of_a_request_carry_its_id_even_djangos_404_line(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdLogFilter())

    response = client.get("/no-such-page/")

    request_id = response["X-Request-ID"]
    by_logger = {record.name: record for record in caplog.records}
    assert by_logger["django.request"].request_id == request_id  # "Not Found: /no-such-page/"
    access = by_logger["rxportal.access"]
    assert access.request_id == request_id
    assert access.status == 404
    assert access.method == "GET"


def test_the_access_line_names_the_view_and_route_never_the_query(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rxportal.access")

    client.get("/drugs/?q=Dana+Rivera")

    (access,) = [r for r in caplog.records if r.name == "rxportal.access"]
    assert access.view == "formulary:search"
    assert "Dana" not in json.dumps(access.__dict__, default=str)


def test_the_json_formatter_writes_one_object_per_line_with_the_request_id() -> None:
    config = settings.LOGGING["formatters"]["json"]
    formatter = import_string(config["()"])(config["fmt"], rename_fields=config["rename_fields"])
    record = logging.LogRecord("rxportal.test", logging.INFO, __file__, 1, "hello", (), None)
    RequestIdLogFilter().filter(record)  # outside a request: null
    outside = json.loads(formatter.format(record))
    record.request_id = "abc123abc123"

    parsed = json.loads(formatter.format(record))

    assert outside["request_id"] is None
    assert parsed["message"] == "hello"
    assert parsed["request_id"] == "abc123abc123"
    assert parsed["level"] == "INFO"
    assert parsed["logger"] == "rxportal.test"
