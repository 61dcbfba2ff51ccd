"""A token's rate limit holds on FHIR Patient Access as on the JSON API (one count per token,
whichever edge it calls): FHIR must not be a way around the limit, nor a place to guess tokens
without end."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.conftest import Family
from tests.fhir.patient_access_support import body, fhir_get, token_for
from tests.oauth_tokens import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_windows() -> None:
    cache.clear()


def test_a_token_over_its_limit_gets_a_429_outcome_on_fhir_too(
    client: Client, family: Family, settings: Any
) -> None:
    settings.RXPORTAL_API_RATE_LIMIT_PER_MINUTE = 3
    token = token_for(family.subscriber)
    other = token_for(family.subscriber)
    assert client.get("/api/v1/profile", **bearer(token)).status_code == 200
    statuses = [fhir_get(client, "/fhir/R4/Patient", token).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = fhir_get(client, "/fhir/R4/ExplanationOfBenefit", token)
    assert response.status_code == 429
    assert body(response)["issue"][0]["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    # Per token: another token of the same member still reads.
    assert fhir_get(client, "/fhir/R4/Patient", other).status_code == 200


def test_guessed_tokens_on_fhir_are_limited_per_address(db: None, settings: Any) -> None:
    settings.RXPORTAL_API_RATE_LIMIT_PER_MINUTE = 2
    client = Client()
    statuses = [fhir_get(client, "/fhir/R4/Patient", f"guess-{n}").status_code for n in range(3)]
    assert statuses == [401, 401, 429]
