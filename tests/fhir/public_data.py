"""The public formulary and directory tests' data: the real reference data (imported once per
module by tests.demo.support.reference_data) and the standard plans built from it, in a
module transaction rolled back at the end (each test runs in a savepoint inside it)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from rxportal.plans.services import create_standard_plans
from tests.demo.support import reference_data

__all__ = ["fhir_get", "public_data", "read_reference_csv", "reference_data"]


@pytest.fixture(scope="module")
def public_data(reference_data: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        create_standard_plans(plan_year=2026)
        yield
        transaction.set_rollback(True)


def read_reference_csv(name: str) -> list[dict[str, str]]:
    path = settings.RXPORTAL_REFERENCE_DATA_DIR / name
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def fhir_get(client: Client, url: str, **headers: str) -> Any:
    """GET a /fhir/R4 URL (absolute next links included) without signing in."""
    if url.startswith("http"):
        url = "/" + url.split("/", 3)[3]
    return client.get(url, **headers)


def follow_pages(client: Client, url: str) -> list[dict[str, Any]]:
    """Every match entry of a search, following ``next`` links to the end."""
    entries: list[dict[str, Any]] = []
    next_url: str | None = url
    pages = 0
    while next_url:
        response = fhir_get(client, next_url)
        assert response.status_code == 200, response.content
        bundle = response.json()
        entries += [e for e in bundle["entry"] if e["search"]["mode"] == "match"]
        next_url = next(
            (link["url"] for link in bundle["link"] if link["relation"] == "next"), None
        )
        pages += 1
        assert pages < 1000
    return entries
