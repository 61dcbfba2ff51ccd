"""/metrics: what it counts after requests, who may read it, and that it names nobody."""

from __future__ import annotations

import re
import uuid
from unittest import mock

import pytest
import redis
from django.conf import settings
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import reverse

from tests.claims.conftest import ClaimsWorld

# Every alias: on the PostgreSQL run with a replica, the scrape asks the replica alias too.
pytestmark = pytest.mark.django_db(databases="__all__")

METRICS_URL = "/metrics"


def _scrape(client: Client, **extra: str) -> str:
    response = client.get(METRICS_URL, REMOTE_ADDR="127.0.0.1", **extra)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample, its labels given in any order (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_queries_and_cache_gets_are_counted(client: Client) -> None:
    before = _scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200

    after = _scrape(client)

    name = "django_http_requests_latency_seconds_by_view_method_count"
    assert _sample(after, name, view="healthz", method="GET") - _sample(
        before, name, view="healthz", method="GET"
    ) == pytest.approx(3)
    vendor = "postgresql" if settings.DATABASES["default"]["ENGINE"].endswith("l") else "sqlite"
    assert _sample(after, "django_db_execute_total", alias="default", vendor=vendor) > _sample(
        before, "django_db_execute_total", alias="default", vendor=vendor
    )
    backend = "redis" if settings.REDIS_URL else "locmem"
    assert _sample(after, "django_cache_get_total", backend=backend) >= 3 + _sample(
        before, "django_cache_get_total", backend=backend
    )


def test_a_cached_falsy_value_is_a_hit_and_comes_back_unchanged() -> None:
    from django.core.cache import cache

    key = f"ops-test:{uuid.uuid4().hex}"
    cache.set(key, 0, timeout=30)
    assert cache.get(key, "missing") == 0
    assert cache.get(f"{key}:absent", "missing") == "missing"


@pytest.mark.parametrize("address", ["203.0.113.9", "10.1.2.3", "2001:db8::1"])
def test_a_caller_outside_the_allow_list_gets_the_ordinary_404(
    client: Client, address: str
) -> None:
    response = client.get(METRICS_URL, REMOTE_ADDR=address)

    assert response.status_code == 404
    assert b"django_http" not in response.content


@override_settings(RXPORTAL_TRUSTED_PROXY_COUNT=1)
def test_behind_a_loopback_proxy_the_client_address_decides(client: Client) -> None:
    refused = client.get(METRICS_URL, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    allowed = client.get(METRICS_URL, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert refused.status_code == 404
    assert allowed.status_code == 200


@override_settings(RXPORTAL_METRICS_ALLOWED_IPS=["10.0.0.0/8"])
def test_the_allow_list_takes_networks(client: Client) -> None:
    assert client.get(METRICS_URL, REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get(METRICS_URL, REMOTE_ADDR="127.0.0.1").status_code == 404


@override_settings(RXPORTAL_METRICS_BEARER_TOKEN="s3cret-scrape-token-for-tests")
def test_with_a_token_set_an_allowed_address_must_also_bring_it(client: Client) -> None:
    assert client.get(METRICS_URL, REMOTE_ADDR="127.0.0.1").status_code == 404
    wrong = client.get(METRICS_URL, REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 404
    right = client.get(
        METRICS_URL,
        REMOTE_ADDR="127.0.0.1",
        HTTP_AUTHORIZATION="Bearer s3cret-scrape-token-for-tests",
    )
    assert right.status_code == 200
    refused_elsewhere = client.get(
        METRICS_URL,
        REMOTE_ADDR="203.0.113.9",
        HTTP_AUTHORIZATION="Bearer s3cret-scrape-token-for-tests",
    )
    assert refused_elsewhere.status_code == 404


def test_no_member_id_name_or_public_id_appears_in_the_metrics(
    client: Client, world: ClaimsWorld
) -> None:
    member = world.family.subscriber
    claim = world.paid[0]
    client.force_login(member.user)
    assert client.get(reverse("claims:list")).status_code == 200
    assert client.get(reverse("claims:detail", args=[claim.public_id])).status_code == 200
    client.get(f"/claims/{uuid.uuid4()}/")  # someone else's (unknown) claim: a 404
    client.logout()

    text = _scrape(client)

    assert _sample(
        text, "django_http_requests_total_by_view_transport_method_total", view="claims:detail"
    )
    for secret in (
        member.member_id,
        member.first_name,
        member.last_name,
        member.email,
        member.date_of_birth.isoformat(),
        str(member.public_id),
        str(claim.public_id),
        member.user.username,
    ):
        assert secret not in text, secret


def test_the_celery_queue_depth_is_read_from_the_redis_broker(client: Client) -> None:
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (the PostgreSQL + Redis run)")
    queue = f"ops-test-{uuid.uuid4().hex[:8]}"
    broker = redis.Redis.from_url(settings.REDIS_URL)
    try:
        broker.lpush(queue, "task-1", "task-2")
        broker.lpush(f"{queue}\x06\x163", "task-3")  # kombu's list for priority 3
        with override_settings(
            CELERY_BROKER_URL=settings.REDIS_URL, CELERY_TASK_DEFAULT_QUEUE=queue
        ):
            text = _scrape(client)
    finally:
        broker.delete(queue, f"{queue}\x06\x163")
        broker.close()

    assert _sample(text, "rxportal_celery_queue_length", queue=queue) == 3
    assert _sample(text, "rxportal_celery_broker_up") == 1


def test_an_unreachable_broker_is_reported_down_not_raised(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        text = _scrape(client)

    assert "rxportal_celery_broker_up 0.0" in text
    assert "rxportal_celery_queue_length{" not in text


def test_without_a_redis_broker_there_is_no_queue_depth(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL="memory://"):
        text = _scrape(client)

    assert "rxportal_celery" not in text


def test_the_audit_events_waiting_to_be_chained_are_counted_with_the_oldest_age(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from rxportal.audit.services import Outcome, record_event, seal_pending_events
    from rxportal.core import clock

    assert _sample(_scrape(client), "rxportal_audit_pending_events") == 0
    recorded_at = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: recorded_at)
    with override_settings(RXPORTAL_AUDIT_APPEND="deferred"):
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS)
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS)
        monkeypatch.setattr(clock, "now", lambda: recorded_at + dt.timedelta(minutes=1))
        waiting = _scrape(client)

    assert _sample(waiting, "rxportal_audit_pending_events") == 2
    assert _sample(waiting, "rxportal_audit_pending_oldest_seconds") == pytest.approx(60)

    seal_pending_events()
    sealed = _scrape(client)
    assert _sample(sealed, "rxportal_audit_pending_events") == 0
    assert _sample(sealed, "rxportal_audit_pending_oldest_seconds") == 0


_WITH_REPLICA = {**settings.DATABASES, "replica": {**settings.DATABASES["default"]}}
_LAG_PROBE = "rxportal.operations.metrics.measure_replica_lag_seconds"


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_the_replicas_lag_is_exported_and_a_down_replica_is_reported_not_raised(
    client: Client,
) -> None:
    with override_settings(DATABASES=_WITH_REPLICA):
        with mock.patch(_LAG_PROBE, return_value=2.5):
            behind = _scrape(client)
        with mock.patch(_LAG_PROBE, side_effect=OperationalError("10.0.0.7 rx-reader")):
            down = _scrape(client)  # _scrape asserts the 200

    assert _sample(behind, "rxportal_replica_up") == 1
    assert _sample(behind, "rxportal_replica_lag_seconds") == 2.5
    assert _sample(down, "rxportal_replica_up") == 0
    assert "rxportal_replica_lag_seconds" not in down
    assert "10.0.0.7" not in down


def test_without_a_replica_there_is_no_replica_metric(client: Client) -> None:
    if "replica" in settings.DATABASES:
        pytest.skip("the PostgreSQL run configures a replica")
    assert "rxportal_replica" not in _scrape(client)
