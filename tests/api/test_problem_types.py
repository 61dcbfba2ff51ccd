"""Every problem type the API answers with is documented in the OpenAPI document."""

from __future__ import annotations

from rxportal.api.openapi import render_openapi
from rxportal.api.problems import PROBLEM_TYPES


def test_every_problem_type_is_documented() -> None:
    document = render_openapi()
    for slug, (status, _title) in PROBLEM_TYPES.items():
        assert slug in document, (slug, status)
