"""/readyz: 200 when every dependency answers (the replica is only reported); 503 naming the one
that did not, no secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.test import Client, override_settings

from tests.core.replica_support import unreachable_replica as unreachable_replica_alias

# Every alias: on the PostgreSQL run with a replica, /readyz asks the replica alias too.
pytestmark = pytest.mark.django_db(databases="__all__")

READYZ_URL = "/readyz"


@pytest.fixture
def unreachable_replica() -> Iterator[dict[str, Any]]:
    # Only the replica: this test runs outside pytest-django's database test case (which
    # refuses aliases it does not manage), so the default database is not asked here.
    with unreachable_replica_alias(REDIS_URL="") as replica:
        yield replica


def test_ready_when_every_dependency_answers(client: Client) -> None:
    response = client.get(READYZ_URL)

    assert response.status_code == 200
    expected = {"database": "ok"}
    if "replica" in settings.DATABASES:
        expected["replica"] = "ok"
    if settings.REDIS_URL:
        expected["redis"] = "ok"
    assert response.json() == {"status": "ok", "checks": expected}
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_database_that_does_not_answer_makes_it_unready(client: Client) -> None:
    refused = OperationalError("connection to server at 10.0.0.5 failed: password for rx-admin")
    with mock.patch.object(connections["default"], "ensure_connection", side_effect=refused):
        response = client.get(READYZ_URL)

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] == "down"
    assert b"10.0.0.5" not in response.content
    assert b"rx-admin" not in response.content


@pytest.mark.django_db(databases=[])
def test_an_unreachable_replica_is_reported_but_the_node_stays_ready(
    client: Client, unreachable_replica: dict[str, Any], django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        response = client.get(READYZ_URL)

    # Reads fall back to the primary, so the node still serves: 200, the replica shown down.
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"replica": "down"}}
    for secret in ("replica-password-never-shown", "replica-user", unreachable_replica["PORT"]):
        assert secret.encode() not in response.content


@override_settings(REDIS_URL="redis://:redis-password@127.0.0.1:1/0")
def test_an_unreachable_redis_makes_it_unready(client: Client) -> None:
    response = client.get(READYZ_URL)

    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "down"
    assert response.json()["checks"]["database"] == "ok"
    assert b"redis-password" not in response.content


@override_settings(REDIS_URL="")
def test_without_redis_configured_redis_is_not_checked(client: Client) -> None:
    response = client.get(READYZ_URL)

    assert response.status_code == 200
    assert "redis" not in response.json()["checks"]


def test_readiness_and_health_need_no_sign_in_and_refuse_other_methods(client: Client) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.post(READYZ_URL).status_code == 405
