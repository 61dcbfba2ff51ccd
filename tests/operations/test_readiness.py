"""/readyz: 200 when every dependency answers; 503 naming the one that did not, no secrets."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

READYZ_URL = "/readyz"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture
def unreachable_replica() -> Iterator[dict[str, Any]]:
    """A ``replica`` alias (as DATABASE_REPLICA_URL adds) whose server does not answer."""
    replica = {
        **connections.settings["default"],
        "ENGINE": "django_prometheus.db.backends.postgresql",
        "NAME": "rxportal_replica",
        "USER": "replica-user",
        "PASSWORD": "replica-password-never-shown",
        "HOST": "127.0.0.1",
        "PORT": str(_closed_port()),
        "OPTIONS": {"connect_timeout": 2},
        "TEST": {},
    }
    connections.settings["replica"] = replica
    try:
        # Only the replica: this test runs outside pytest-django's database test case (which
        # refuses aliases it does not manage), so the default database is not asked here.
        with override_settings(DATABASES={"replica": replica}, REDIS_URL=""):
            yield replica
    finally:
        connections["replica"].close()
        del connections.settings["replica"]
        if hasattr(connections._connections, "replica"):
            delattr(connections._connections, "replica")


def test_ready_when_every_dependency_answers(client: Client) -> None:
    response = client.get(READYZ_URL)

    assert response.status_code == 200
    expected = {"database": "ok"}
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
def test_an_unreachable_replica_makes_it_unready_and_names_only_the_replica(
    client: Client, unreachable_replica: dict[str, Any], django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        response = client.get(READYZ_URL)

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"replica": "down"}}
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
