"""The router against a real PostgreSQL streaming replica (deploy/pg-replica.sh; .ci/run starts
one for the PostgreSQL run and sets DATABASE_REPLICA_URL).

With the replica's replay paused, it keeps showing the data of before the pause: a page that
shows what was committed before but not what was committed after read the replica; one that
shows both read the primary.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from rxportal.core.db_router import forget_replica_health, reading_from_replica
from rxportal.orders.models import MailOrder, OrderStatus
from rxportal.sponsor_tools.models import ReportStatus
from rxportal.sponsor_tools.services import request_claims_report
from tests.conftest import Family
from tests.core.replica_support import has_replica, replay_paused, wait_for_replay
from tests.factories import ClaimFactory
from tests.orders.factories import make_order
from tests.sponsor_tools.conftest import Scene

pytestmark = [
    pytest.mark.skipif(
        not has_replica(),
        reason="needs a PostgreSQL replica: DATABASE_REPLICA_URL (deploy/pg-replica.sh start)",
    ),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def _claim_numbers(response) -> set[str]:
    assert response.status_code == 200
    return {claim.claim_number for claim in response.context["page"].claims}


def test_the_replica_connection_is_a_server_in_recovery(replica: BaseDatabaseWrapper) -> None:
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (False,)


def test_the_claims_history_reads_the_replica(
    replica: BaseDatabaseWrapper, family: Family, client: Client
) -> None:
    before = ClaimFactory(member=family.subscriber, service_date=dt.date.today())
    client.force_login(family.subscriber.user)
    with replay_paused():
        after = ClaimFactory(member=family.subscriber, service_date=dt.date.today())
        with CaptureQueriesContext(replica) as on_replica:
            seen = _claim_numbers(client.get(reverse("claims:list")))

    assert seen == {before.claim_number}  # the replica's copy, from before the pause
    assert any('"claims_claim"' in query["sql"] for query in on_replica.captured_queries)
    wait_for_replay()
    assert _claim_numbers(client.get(reverse("claims:list"))) == {
        before.claim_number,
        after.claim_number,
    }


def test_a_replica_further_behind_than_allowed_is_not_read(
    replica: BaseDatabaseWrapper, family: Family, client: Client
) -> None:
    before = ClaimFactory(member=family.subscriber, service_date=dt.date.today())
    client.force_login(family.subscriber.user)
    with replay_paused(), override_settings(RXPORTAL_REPLICA_MAX_LAG_SECONDS=1):
        after = ClaimFactory(member=family.subscriber, service_date=dt.date.today())
        time.sleep(1.5)  # the replica's last replayed commit is now over a second old
        forget_replica_health()
        with CaptureQueriesContext(replica) as on_replica:
            seen = _claim_numbers(client.get(reverse("claims:list")))

    assert seen == {before.claim_number, after.claim_number}  # the primary's rows
    assert not any('"claims_claim"' in query["sql"] for query in on_replica.captured_queries)


def test_a_members_fresh_write_is_read_back_from_the_primary(
    replica: BaseDatabaseWrapper, family: Family, client: Client
) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.RECEIVED)
    client.force_login(family.subscriber.user)
    with replay_paused():
        cancel = client.post(reverse("orders:cancel", args=[order.public_id]), {"reason": "other"})
        assert cancel.status_code == 302
        assert (
            settings.RXPORTAL_PRIMARY_PIN_COOKIE_NAME in cancel.cookies
        )  # this browser reads the primary for a while
        assert MailOrder.objects.get(pk=order.pk).status == OrderStatus.CANCELLED

        pinned = client.get(reverse("orders:list"))
        assert [o.status for o in pinned.context["history"].orders] == [OrderStatus.CANCELLED]

        # Without the pin (another browser, or once it expires) the same page reads the
        # replica, which has not replayed the cancellation yet.
        del client.cookies[settings.RXPORTAL_PRIMARY_PIN_COOKIE_NAME]
        unpinned = client.get(reverse("orders:list"))
        assert [o.status for o in unpinned.context["history"].orders] == [OrderStatus.RECEIVED]


def test_writes_inside_a_replica_block_go_to_the_primary(
    replica: BaseDatabaseWrapper, family: Family
) -> None:
    with reading_from_replica():
        claim = ClaimFactory(member=family.subscriber)
    assert claim._state.db == "default"
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim WHERE id = %s", [claim.pk])
        assert cursor.fetchone() == (1,)


def test_a_sponsor_claims_report_is_built_from_the_replica(
    replica: BaseDatabaseWrapper, role_groups: None, scene: Scene
) -> None:
    with replay_paused():
        # A claim in the report's range committed after the pause: only the primary has it.
        ClaimFactory(member=scene.subscriber, service_date=dt.date(2026, 5, 1))
        with translation.override("en"):
            report = request_claims_report(
                grant=scene.reports,
                actor=scene.owner,
                start=dt.date(2026, 1, 1),
                end=dt.date(2026, 12, 31),
            )
        report.refresh_from_db()  # built by the (eager) task once the request committed

    assert report.status == ReportStatus.READY
    assert report.rows_total == 3  # the replica's claims: the fourth came after the pause
