"""The committed OpenAPI document is the one the code generates."""

from __future__ import annotations

from django.test import Client

from rxportal.api.openapi import DOCUMENT_PATH, render_openapi


def test_the_committed_openapi_document_is_current() -> None:
    committed = DOCUMENT_PATH.read_text(encoding="utf-8") if DOCUMENT_PATH.exists() else ""
    assert committed == render_openapi(), (
        "docs/api/openapi.json differs from the API's code: run `make openapi` and commit it."
    )


def test_the_document_is_served_and_documents_problem_details(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations
    for operation in operations:
        documented = operation["responses"]
        assert {"400", "401", "403", "422", "429", "500"} <= set(documented), operation[
            "operationId"
        ]
        assert operation["security"] == [{"AccessToken": []}]
    assert "ProblemOut" in schema["components"]["schemas"]
