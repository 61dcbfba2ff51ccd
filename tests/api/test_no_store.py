"""The JSON API's answers carry a member's records: no cache (browser, proxy, app) may keep
them (HIPAA; RFC 9111 ``no-store``), as the FHIR Patient Access answers already say."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, World


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/profile",
        "/api/v1/coverage/id-cards",
        "/api/v1/prescriptions",
        "/api/v1/claims",
        "/api/v1/notifications",
        "/api/v1/claims/not-a-claim",
    ],
)
def test_member_data_and_errors_are_never_stored_by_a_cache(
    api: ApiClient, world: World, path: str
) -> None:
    response = api.get(path)
    assert response.status_code in (200, 404), response.content
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_refused_token_is_not_stored_either(world: World) -> None:
    response = ApiClient("not-a-token").get("/api/v1/profile")
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]
