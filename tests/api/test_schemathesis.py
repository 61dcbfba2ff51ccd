"""schemathesis over every operation of the served OpenAPI document (api1's and api2's routers
alike: the operations come from the schema, not from a list), in-process through WSGI, with a
token holding every scope for a member with data. No operation may answer a server error, and
each response must match its documented schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests.api.conftest import ALL_SCOPES, World
from tests.oauth_tokens import bearer, issue_access_token

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance]


@pytest.fixture
def test_connection_kept() -> Iterator[None]:
    """The WSGI handler closes "old" connections around each request, which on PostgreSQL ends
    the test's transaction; Django's own test client unhooks it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def authorization(world: World) -> dict[str, str]:
    assert world.family.subscriber.user is not None
    token = issue_access_token(world.family.subscriber.user, scope=ALL_SCOPES)
    return {"Authorization": bearer(token)["HTTP_AUTHORIZATION"]}


def _known_ids(world: World) -> dict[str, str]:
    """Parameters that name a record, filled with the member's real ones half the time, so the
    operations are exercised past "not found" as well as on it."""
    return {
        "member": str(world.family.minor_child.public_id),
        "drug": str(world.atorvastatin.public_id),
        "drug_id": str(world.lipitor.public_id),
        "pharmacy": str(world.pharmacy.public_id),
        "zip": "06103",
    }


def _use_known_ids(case: Any, world: World) -> None:
    known = _known_ids(world)
    if uuid.uuid5(uuid.NAMESPACE_OID, repr(case.query) + repr(case.body)).int % 2:
        return
    for container in (case.path_parameters, case.query):
        if isinstance(container, dict):
            for name in container.keys() & known.keys():
                container[name] = known[name]
    if isinstance(case.body, dict):
        for name in case.body.keys() & known.keys():
            case.body[name] = known[name]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_fails_or_breaks_its_schema(
    case: Any, world: World, authorization: dict[str, str], test_connection_kept: None
) -> None:
    _use_known_ids(case, world)
    case.call_and_validate(headers=authorization, checks=CHECKS)
