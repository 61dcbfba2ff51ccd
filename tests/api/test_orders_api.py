"""GET /api/v1/orders, /orders/{id} and POST /orders/{id}/cancel: mail orders by their patient
(the family rule), status timeline codes and tracking, cancelling as the web allows (refills
given back), scopes, the PHI-read audit and Idempotency-Key on cancel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rxportal.orders.models import MailOrder, OrderStatus
from tests.api.records_support import (  # setting_fixture: the setting fixture
    api_reads,
    assert_insufficient_scope,
    assert_problem,
    call,
    setting_fixture,  # noqa: F401
    token_for,
)
from tests.conftest import Family
from tests.factories import MemberFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory
from tests.orders.factories import make_order
from tests.prescriptions.conftest import Setting, make_rx

pytestmark = pytest.mark.django_db


def test_lists_the_familys_orders_with_status_codes_and_audits_the_read(family: Family) -> None:
    subscriber = family.subscriber
    child = family.minor_child
    mine = make_order(member=subscriber, status=OrderStatus.SHIPPED)
    childs = make_order(member=child, status=OrderStatus.ON_HOLD)
    make_order(member=family.adult_child)  # no consent: hidden
    make_order(member=MemberFactory())  # another family

    response = call("GET", "/orders", token_for(subscriber.user))

    assert response.status_code == 200
    items = {item["id"]: item for item in response.json()["items"]}
    assert set(items) == {str(mine.public_id), str(childs.public_id)}
    shipped = items[str(mine.public_id)]
    assert shipped["status"] == "shipped"
    assert shipped["carrier"] == "UPS"
    assert shipped["tracking_number"] == "1Z999AA10123456784"
    assert shipped["tracking_url"].startswith("https://")
    assert shipped["can_cancel"] is False
    assert shipped["lines"][0]["quantity"] == "90.000"
    held = items[str(childs.public_id)]
    assert held["status_reason"] == "prior_authorization"
    assert held["attention"] == "on_hold"
    assert held["member"] == str(child.public_id)
    [event] = api_reads("phi.mail_orders.viewed")
    assert event.details["count"] == 2


def test_only_open_and_the_member_filter(family: Family) -> None:
    subscriber = family.subscriber
    child = family.minor_child
    make_order(member=subscriber, status=OrderStatus.DELIVERED)
    open_one = make_order(member=subscriber)
    make_order(member=child)
    token = token_for(subscriber.user)

    listed = call("GET", f"/orders?only_open=true&member={subscriber.public_id}", token)

    assert [item["id"] for item in listed.json()["items"]] == [str(open_one.public_id)]
    stranger = MemberFactory()
    assert_problem(call("GET", f"/orders?member={stranger.public_id}", token), 404)


def test_one_order_has_its_timeline_and_is_audited(family: Family) -> None:
    subscriber = family.subscriber
    order = make_order(member=subscriber, status=OrderStatus.PROCESSING)

    response = call("GET", f"/orders/{order.public_id}", token_for(subscriber.user))

    assert response.status_code == 200
    timeline = response.json()["timeline"]
    assert [(step["status"], step["state"]) for step in timeline] == [
        ("received", "done"),
        ("verifying", "done"),
        ("processing", "current"),
        ("shipped", "upcoming"),
        ("delivered", "upcoming"),
    ]
    [event] = api_reads("phi.mail_order.viewed")
    assert event.subject_id == str(order.public_id)


def test_an_order_is_judged_by_its_patient(family: Family) -> None:
    """The adult child's order is theirs (even if the subscriber placed it): hidden without
    consent, shown while it lasts, hidden again once revoked."""
    subscriber = family.subscriber
    adult = family.adult_child
    order = make_order(member=adult)
    other = make_order(member=MemberFactory(user=UserFactory()))
    token = token_for(subscriber.user)
    path = f"/orders/{order.public_id}"

    assert_problem(call("GET", path, token), 404, "not-found")
    assert_problem(call("GET", f"/orders/{other.public_id}", token), 404, "not-found")
    assert_problem(call("GET", "/orders/not-a-uuid", token), 404, "not-found")
    grant = FamilyAccessGrantFactory(grantor=adult)
    assert call("GET", path, token).status_code == 200
    grant.revoked_at = timezone.now()
    grant.save()
    assert_problem(call("GET", path, token), 404)
    assert_problem(call("POST", f"{path}/cancel", token, {"reason": "other"}), 404)
    assert MailOrder.objects.get(pk=order.pk).status == OrderStatus.RECEIVED


def test_orders_need_the_medication_dispense_scope(family: Family) -> None:
    subscriber = family.subscriber
    order = make_order(member=subscriber)
    token = token_for(subscriber.user, "patient/Coverage.read")

    assert_insufficient_scope(call("GET", "/orders", token), "patient/MedicationDispense.rs")
    assert_insufficient_scope(
        call("GET", f"/orders/{order.public_id}", token), "patient/MedicationDispense.rs"
    )
    assert api_reads("phi.mail_orders.viewed") == []


def test_cancelling_a_refills_order_gives_its_refill_back(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)
    refill = call(
        "POST",
        "/refills",
        token,
        {"lines": [{"prescription": str(rx.public_id)}], "fulfilment": "mail"},
    ).json()
    path = f"/orders/{refill['mail_order']}/cancel"

    response = call("POST", path, token, {"reason": "ordered_by_mistake"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["status_reason"] == "ordered_by_mistake"
    assert body["timeline"][-1]["status"] == "cancelled"
    rx.refresh_from_db()
    assert rx.refills_remaining == 3
    again = call("POST", path, token, {"reason": "ordered_by_mistake"})
    assert_problem(again, 409, "order.cannot_cancel")


def test_a_cancel_reason_must_be_one_of_the_codes(family: Family) -> None:
    subscriber = family.subscriber
    order = make_order(member=subscriber)

    response = call(
        "POST", f"/orders/{order.public_id}/cancel", token_for(subscriber.user), {"reason": "meh"}
    )

    assert_problem(response, 422, "order.invalid_cancel_reason")
    assert MailOrder.objects.get(pk=order.pk).status == OrderStatus.RECEIVED


def test_cancelling_needs_refills_write_and_replays_with_a_key(family: Family) -> None:
    subscriber = family.subscriber
    order = make_order(member=subscriber)
    path = f"/orders/{order.public_id}/cancel"
    reading = token_for(subscriber.user, "patient/*.read")
    assert_insufficient_scope(call("POST", path, reading, {"reason": "other"}), "refills.write")

    token = token_for(subscriber.user)
    key = {"HTTP_IDEMPOTENCY_KEY": "cancel-1"}
    first = call("POST", path, token, {"reason": "other"}, **key)
    again = call("POST", path, token, {"reason": "other"}, **key)

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert MailOrder.objects.get(pk=order.pk).events.filter(status="cancelled").count() == 1
    first_read, replayed_read = api_reads("phi.mail_order.viewed")
    assert first_read.details["page"] == "cancel"
    assert replayed_read.details["replayed"] is True


def test_the_list_costs_the_same_queries_for_few_or_many_orders(family: Family) -> None:
    subscriber = family.subscriber
    token = token_for(subscriber.user)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert call("GET", "/orders", token).status_code == 200
        return len(queries)

    make_order(member=subscriber)
    few = count_queries()
    for _ in range(5):
        make_order(member=family.minor_child, lines=2)

    assert count_queries() == few
