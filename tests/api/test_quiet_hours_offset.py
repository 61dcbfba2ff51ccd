"""Quiet hours with a UTC offset are bad input (422), not a server error."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, problem


@pytest.mark.parametrize("field", ["quiet_hours_start", "quiet_hours_end"])
def test_a_quiet_hour_with_an_offset_is_a_422_naming_it(api: ApiClient, field: str) -> None:
    body = {"quiet_hours_start": "22:00:00", "quiet_hours_end": "07:00:00"}
    body[field] = "22:00:00Z"
    response = api.client.patch(
        "/api/v1/notifications/preferences",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    document = problem(response, 422, "validation-error")
    assert [error["field"] for error in document["errors"]] == [f"body.{field}"]
