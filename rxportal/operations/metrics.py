"""The /metrics exposition: who may read it, and what it adds to django-prometheus's metrics.

django-prometheus counts requests and their latency by view name (never a path), database
queries by alias and cache gets by backend (settings wire its middleware and backends in). This
module adds the Celery queue depth, read from the Redis broker at scrape time, and the audit
events waiting to be chained (read from the database), the read replica's lag (when there is
one; a replica that does not answer is reported, never raised), and builds the
exposition: under gunicorn with several workers (``PROMETHEUS_MULTIPROC_DIR``, set by
gunicorn.conf.py) every worker's figures are merged by prometheus_client's multiprocess
collector; otherwise this process's registry is served.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from functools import lru_cache

import redis
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from rxportal.audit.services import client_ip, count_pending_integrity_failures, pending_backlog
from rxportal.core import clock
from rxportal.core.db_router import REPLICA_ALIAS, measure_replica_lag_seconds

BROKER_TIMEOUT_SECONDS = 1.0
# kombu's Redis transport keeps a queue's prioritised tasks in sibling lists named
# "<queue>\x06\x16<priority>" (priority 0 is the queue's own name).
_KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
_KOMBU_PRIORITIES = range(1, 10)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _allowed_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_metrics_caller_allowed(request: HttpRequest) -> bool:
    """From an allowed address (``RXPORTAL_METRICS_ALLOWED_IPS``, addresses or networks; the
    client's own address behind trusted proxies, so a loopback proxy does not make everyone
    local) and, when ``RXPORTAL_METRICS_BEARER_TOKEN`` is set, with that bearer token."""
    address = client_ip(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    networks = _allowed_networks(tuple(settings.RXPORTAL_METRICS_ALLOWED_IPS))
    if not any(ip in network for network in networks):
        return False
    token = settings.RXPORTAL_METRICS_BEARER_TOKEN
    if not token:
        # Production behind a proxy on the same host: with RXPORTAL_TRUSTED_PROXY_COUNT left at
        # 0 every visitor would look local, so there the token is required (no token, no page).
        return not settings.RXPORTAL_METRICS_REQUIRE_TOKEN
    offered = request.META.get("HTTP_AUTHORIZATION", "")
    return hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())


def celery_queue_names() -> list[str]:
    """The queues the portal's tasks go to: the default one and any a route names."""
    names = [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")]  # Celery's default
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        queue = route.get("queue") if isinstance(route, dict) else None
        if queue and queue not in names:
            names.append(queue)
    return names


class CeleryQueueDepthCollector:
    """Tasks waiting in the Redis broker, per queue, read when Prometheus scrapes."""

    def __init__(self, broker_url: str, queues: list[str]) -> None:
        self.broker_url = broker_url
        self.queues = queues

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "rxportal_celery_queue_length",
            "Tasks waiting in the Celery broker, by queue.",
            labels=["queue"],
        )
        up = GaugeMetricFamily(
            "rxportal_celery_broker_up", "1 when the Celery broker answered this scrape."
        )
        try:
            client = redis.Redis.from_url(
                self.broker_url,
                socket_timeout=BROKER_TIMEOUT_SECONDS,
                socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
            )
            with client:
                for queue in self.queues:
                    pipeline = client.pipeline(transaction=False)
                    pipeline.llen(queue)
                    for priority in _KOMBU_PRIORITIES:
                        pipeline.llen(f"{queue}{_KOMBU_PRIORITY_SEPARATOR}{priority}")
                    depth.add_metric([queue], sum(pipeline.execute()))
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield depth


class AuditBacklogCollector:
    """Audit events recorded off the request path and not chained yet (RXPORTAL_AUDIT_APPEND =
    "deferred"): beat seals them every 2 s, so a count or an age that keeps growing is an alert."""

    def collect(self) -> Iterator[Metric]:
        try:
            count, oldest = pending_backlog()
            integrity_failures = count_pending_integrity_failures()
        except DatabaseError:
            return  # the database is down: the other metrics still answer (readyz says why)
        waiting = GaugeMetricFamily(
            "rxportal_audit_pending_events", "Audit events recorded but not yet chained."
        )
        waiting.add_metric([], count)
        age = GaugeMetricFamily(
            "rxportal_audit_pending_oldest_seconds",
            "Age of the oldest audit event waiting to be chained (0 when none wait).",
        )
        age.add_metric([], (clock.now() - oldest).total_seconds() if oldest else 0)
        failures = GaugeMetricFamily(
            "rxportal_audit_pending_integrity_failures",
            "Pending audit events the sealer found changed, forged or deleted before chaining "
            "(any value above 0 is an alert: see the audit.pending.* events).",
        )
        failures.add_metric([], integrity_failures)
        yield waiting
        yield age
        yield failures


class ReplicaLagCollector:
    """Whether the read replica answered this scrape and how far behind the primary it is (the
    router's measure; absent when unknown). The router stops reading it above
    RXPORTAL_REPLICA_MAX_LAG_SECONDS."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "rxportal_replica_up", "1 when the read replica answered this scrape."
        )
        try:
            lag = measure_replica_lag_seconds()
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        if lag is not None:
            behind = GaugeMetricFamily(
                "rxportal_replica_lag_seconds", "How far the read replica is behind the primary."
            )
            behind.add_metric([], lag)
            yield behind


class _ThisProcess:
    """What this process's default registry holds (no gunicorn multiprocess mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def redis_broker_url() -> str | None:
    url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None


def render_metrics() -> bytes:
    """The text exposition of every metric, with the queue depth when a broker is configured."""
    registry = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(AuditBacklogCollector())  # type: ignore[arg-type]
    if REPLICA_ALIAS in settings.DATABASES:
        registry.register(ReplicaLagCollector())  # type: ignore[arg-type]
    broker_url = redis_broker_url()
    if broker_url:
        registry.register(CeleryQueueDepthCollector(broker_url, celery_queue_names()))  # type: ignore[arg-type]
    return generate_latest(registry)
