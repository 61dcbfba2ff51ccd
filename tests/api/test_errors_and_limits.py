"""Every error is a problem document; rate limits per token (per address without one)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from rxportal.formulary import selectors as formulary_selectors
from tests.api.conftest import ApiClient, World, api_with_scope, problem
from tests.oauth_tokens import bearer, issue_access_token


def test_no_token_is_401_with_a_bearer_challenge(db: None) -> None:
    response = Client().get("/api/v1/profile")
    body = problem(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == 'Bearer realm="rxportal"'
    assert "Bearer" in body["detail"]


def test_an_invalid_token_is_401_invalid_token(db: None) -> None:
    response = Client().get("/api/v1/profile", **bearer("not-a-token"))
    problem(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_unknown_urls_under_the_api_are_404_problems(api: ApiClient) -> None:
    for path in ("/api/v1/nope", "/api/v1/", "/api/v1/profile/extra/"):
        problem(api.get(path), 404, "not-found")


def test_a_wrong_method_is_405_with_allow(api: ApiClient) -> None:
    response = api.client.delete("/api/v1/profile", **bearer(api.token))
    problem(response, 405, "method-not-allowed")
    assert response["Allow"] == "GET"


def test_an_unexpected_error_is_a_500_problem_without_a_traceback(
    api: ApiClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(**kwargs: object) -> object:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("rxportal.api.routers.drugs.search_drugs", explode)
    assert formulary_selectors.search_drugs is not explode
    response = api.get("/api/v1/drugs", {"q": "atorvastatin"})
    body = problem(response, 500, "server-error")
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content
    assert set(body) == {"type", "title", "status"}


def test_every_response_carries_the_rate_limit_headers(
    api: ApiClient, world: World, settings: Any
) -> None:
    settings.RXPORTAL_API_RATE_LIMIT_PER_MINUTE = 50
    first = api.get("/api/v1/profile")
    second = api.get("/api/v1/nope")
    assert first["RateLimit-Limit"] == "50"
    assert first["RateLimit-Remaining"] == "49"
    assert int(first["RateLimit-Reset"]) <= 60
    assert second["RateLimit-Limit"] == "50"  # counted by address: no operation authenticated it


def test_a_token_over_its_limit_gets_429_with_retry_after(world: World, settings: Any) -> None:
    settings.RXPORTAL_API_RATE_LIMIT_PER_MINUTE = 3
    busy = api_with_scope(world.family, "patient/*.read")
    other = api_with_scope(world.family, "patient/*.read")
    statuses = [busy.get("/api/v1/profile").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = busy.get("/api/v1/profile")
    body = problem(response, 429, "rate-limited")
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["RateLimit-Remaining"] == "0"
    assert "3 requests a minute" in body["detail"]
    # Limits are per token: another token of the same member is not held back.
    assert other.get("/api/v1/profile").status_code == 200


def test_calls_without_a_valid_token_are_limited_per_address(db: None, settings: Any) -> None:
    settings.RXPORTAL_API_RATE_LIMIT_PER_MINUTE = 2
    client = Client()
    assert client.get("/api/v1/profile").status_code == 401
    assert client.get("/api/v1/profile", **bearer("guess")).status_code == 401
    response = client.get("/api/v1/profile", **bearer("another-guess"))
    problem(response, 429, "rate-limited")
    assert "Retry-After" in response
    # Another address is not affected.
    assert Client(REMOTE_ADDR="192.0.2.7").get("/api/v1/profile").status_code == 401


def test_a_valid_token_is_not_held_back_by_its_addresss_failures(
    world: World, settings: Any
) -> None:
    settings.RXPORTAL_API_RATE_LIMIT_PER_MINUTE = 2
    client = Client()
    for _ in range(3):
        client.get("/api/v1/profile")
    assert world.family.subscriber.user is not None
    token = issue_access_token(world.family.subscriber.user)
    assert client.get("/api/v1/profile", **bearer(token)).status_code == 200


def test_an_unreadable_body_is_a_400_problem(api: ApiClient) -> None:
    response = api.client.post(
        "/api/v1/costs/quotes",
        b"--x\r\n",
        content_type="multipart/form-data",  # no boundary
        **bearer(api.token),
    )
    problem(response, 400, "bad-request")
