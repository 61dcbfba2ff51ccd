"""POST /api/v1/refills and PUT /prescriptions/{id}/auto-refill: the refill service of the web
flow behind the API (its rules as problem slugs), Idempotency-Key (replay, reuse, a concurrent
duplicate on PostgreSQL), the family rule and the write scope."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from rxportal.api import idempotency
from rxportal.api.models import IdempotencyRecord
from rxportal.api.routers import refills as refills_router
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.formulary.models import DeaSchedule
from rxportal.orders.models import MailOrder
from rxportal.prescriptions.models import Prescription, RefillRequest
from tests.api.records_support import (  # setting_fixture: the setting fixture
    api_reads,
    assert_insufficient_scope,
    assert_problem,
    call,
    setting_fixture,  # noqa: F401
    token_for,
)
from tests.factories import DrugFactory, MemberFactory, PrescriptionFactory, UserFactory
from tests.prescriptions.conftest import Setting, make_rx

pytestmark = pytest.mark.django_db


def mail_refill(*prescriptions: Prescription, **extra: Any) -> dict[str, Any]:
    return {
        "lines": [{"prescription": str(rx.public_id)} for rx in prescriptions],
        "fulfilment": "mail",
        **extra,
    }


def test_a_mail_refill_places_one_order_and_uses_a_refill(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)

    response = call("POST", "/refills", token, mail_refill(rx))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["member"] == str(setting.family.subscriber.public_id)
    assert body["fulfilment"] == "mail"
    assert body["status"] == "submitted"
    assert [line["prescription"] for line in body["lines"]] == [str(rx.public_id)]
    assert body["lines"][0]["quantity"] == "30.000"
    order = MailOrder.objects.get()
    assert body["mail_order"] == str(order.public_id)
    rx.refresh_from_db()
    assert rx.refills_remaining == 2
    assert rx.last_filled_on == today
    assert "Idempotent-Replayed" not in response


def test_a_refill_for_a_minor_child_names_them(setting: Setting, today: dt.date) -> None:
    child = setting.family.minor_child
    rx = make_rx(setting, member=child, today=today)

    response = call(
        "POST",
        "/refills",
        token_for(setting.family.subscriber.user),
        mail_refill(rx, member=str(child.public_id)),
    )

    assert response.status_code == 201
    assert MailOrder.objects.get().member_id == child.pk


def test_a_refill_can_be_read_back_and_is_audited(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)
    refill_id = call("POST", "/refills", token, mail_refill(rx)).json()["id"]

    response = call("GET", f"/refills/{refill_id}", token)

    assert response.status_code == 200
    assert response.json()["lines"][0]["prescription"] == str(rx.public_id)
    [event] = api_reads("phi.refill_request.viewed")
    assert event.details["lines"] == 1
    other = token_for(MemberFactory(user=UserFactory()).user)
    assert_problem(call("GET", f"/refills/{refill_id}", other), 404, "not-found")


@pytest.mark.parametrize(
    ("rx_kwargs", "status", "slug"),
    [
        ({"last_filled_days_ago": 3}, 409, "refill.too_soon"),
        ({"refills_remaining": 0}, 409, "refill.none_left"),
        ({"expires_in_days": -5}, 409, "refill.expired"),
    ],
    ids=["too-soon", "none-left", "expired"],
)
def test_the_services_refusals_are_problems_with_their_codes(
    setting: Setting, today: dt.date, rx_kwargs: dict[str, Any], status: int, slug: str
) -> None:
    rx = make_rx(setting, today=today, **rx_kwargs)

    response = call("POST", "/refills", token_for(setting.family.subscriber.user), mail_refill(rx))

    document = assert_problem(response, status, slug)
    assert document["code"] == slug
    assert document["prescription"] == str(rx.public_id)
    assert document["detail"]
    assert RefillRequest.objects.count() == 0


def test_a_prescription_already_on_order_is_a_conflict(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)
    assert call("POST", "/refills", token, mail_refill(rx)).status_code == 201
    Prescription.objects.filter(pk=rx.pk).update(last_filled_on=today - dt.timedelta(days=60))

    assert_problem(call("POST", "/refills", token, mail_refill(rx)), 409, "refill.on_order")


def test_a_schedule_ii_drug_is_refused_as_the_web_refuses_it(
    setting: Setting, today: dt.date
) -> None:
    drug = DrugFactory(dea_schedule=DeaSchedule.CII)
    rx = make_rx(setting, today=today, drug=drug, refills_remaining=0)

    response = call("POST", "/refills", token_for(setting.family.subscriber.user), mail_refill(rx))

    assert_problem(response, 409, "refill.schedule_ii")


def test_pick_up_needs_a_network_pharmacy(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)
    pickup = {"lines": [{"prescription": str(rx.public_id)}], "fulfilment": "pickup"}

    assert_problem(call("POST", "/refills", token, pickup), 422, "refill.pharmacy_required")
    outside = {**pickup, "pharmacy": str(setting.outside_pharmacy.public_id)}
    assert_problem(call("POST", "/refills", token, outside), 422, "refill.pharmacy_not_in_network")
    inside = {**pickup, "pharmacy": str(setting.pharmacy.public_id)}
    response = call("POST", "/refills", token, inside)
    assert response.status_code == 201
    assert response.json()["pharmacy"] == str(setting.pharmacy.public_id)
    assert response.json()["status"] == "sent_to_pharmacy"


def test_another_familys_or_a_hidden_adults_prescription_is_not_found(
    setting: Setting, today: dt.date
) -> None:
    family = setting.family
    theirs = PrescriptionFactory(member=MemberFactory(user=UserFactory()))
    adults = make_rx(setting, member=family.adult_child, today=today)
    token = token_for(family.subscriber.user)

    assert_problem(call("POST", "/refills", token, mail_refill(theirs)), 404, "refill.not_found")
    assert_problem(
        call(
            "POST", "/refills", token, mail_refill(adults, member=str(family.adult_child.public_id))
        ),
        404,
        "not-found",
    )
    assert RefillRequest.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"lines": [], "fulfilment": "mail"},
        {"lines": [{"prescription": "nope"}], "fulfilment": "mail"},
        {"lines": [{"prescription": str(uuid.uuid4())}], "fulfilment": "drone"},
        {"lines": [{"prescription": str(uuid.uuid4()), "quantity": "-1"}], "fulfilment": "mail"},
    ],
    ids=["no-lines", "bad-id", "bad-fulfilment", "negative-quantity"],
)
def test_bad_input_is_422(setting: Setting, body: dict[str, Any]) -> None:
    response = call("POST", "/refills", token_for(setting.family.subscriber.user), body)

    assert response.status_code == 422
    assert RefillRequest.objects.count() == 0


def test_refills_need_the_refills_write_scope(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user, "openid patient/*.read")

    assert_insufficient_scope(call("POST", "/refills", token, mail_refill(rx)), "refills.write")
    assert_insufficient_scope(
        call("PUT", f"/prescriptions/{rx.public_id}/auto-refill", token, {"enabled": True}),
        "refills.write",
    )
    assert RefillRequest.objects.count() == 0


# --- Idempotency-Key --------------------------------------------------------------------------


def test_the_same_key_and_body_replays_the_first_answer_without_a_second_order(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-7f3a"}

    first = call("POST", "/refills", token, mail_refill(rx), **key)
    again = call("POST", "/refills", token, mail_refill(rx), **key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert RefillRequest.objects.count() == 1
    assert MailOrder.objects.count() == 1
    # The replayed answer shows the refill again: a PHI read, audited like any other.
    replays = AuditEvent.objects.filter(action="phi.refill_request.viewed")
    assert [event.details["replayed"] for event in replays] == [True]
    assert replays.get().details["edge"] == "api"
    rx.refresh_from_db()
    assert rx.refills_remaining == 2


def test_the_same_key_with_another_body_is_refused(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    other = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-1"}
    assert call("POST", "/refills", token, mail_refill(rx), **key).status_code == 201

    response = call("POST", "/refills", token, mail_refill(other), **key)

    assert_problem(response, 422, "idempotency-key-reused")
    assert RefillRequest.objects.count() == 1


def test_a_key_is_one_callers_own(setting: Setting, today: dt.date) -> None:
    """Another caller's same key is another request (keys are unique per user)."""
    rx = make_rx(setting, today=today)
    theirs = PrescriptionFactory(
        member=MemberFactory(user=UserFactory(), plan=setting.family.subscriber.plan),
        drug=setting.drug,
        last_filled_on=today - dt.timedelta(days=30),
    )
    key = {"HTTP_IDEMPOTENCY_KEY": "same-key"}

    mine = call(
        "POST", "/refills", token_for(setting.family.subscriber.user), mail_refill(rx), **key
    )
    other = call("POST", "/refills", token_for(theirs.member.user), mail_refill(theirs), **key)

    assert mine.status_code == other.status_code == 201
    assert "Idempotent-Replayed" not in other
    assert RefillRequest.objects.count() == 2


def test_a_refused_request_releases_its_key(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today, last_filled_days_ago=3)
    token = token_for(setting.family.subscriber.user)
    key = {"HTTP_IDEMPOTENCY_KEY": "k-too-soon"}

    assert_problem(call("POST", "/refills", token, mail_refill(rx), **key), 409, "refill.too_soon")
    assert not IdempotencyRecord.objects.exists()
    Prescription.objects.filter(pk=rx.pk).update(last_filled_on=today - dt.timedelta(days=40))
    assert call("POST", "/refills", token, mail_refill(rx), **key).status_code == 201


def test_a_key_older_than_a_day_may_be_used_again(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)
    key = {"HTTP_IDEMPOTENCY_KEY": "old"}
    assert call("POST", "/refills", token, mail_refill(rx), **key).status_code == 201
    IdempotencyRecord.objects.update(created_at=clock.now() - dt.timedelta(hours=25))
    other = make_rx(setting, today=today)

    response = call("POST", "/refills", token, mail_refill(other), **key)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert idempotency.purge_stale_records(now=clock.now()) == 0


def test_an_unreadable_key_is_422(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)

    response = call(
        "POST",
        "/refills",
        token_for(setting.family.subscriber.user),
        mail_refill(rx),
        HTTP_IDEMPOTENCY_KEY="x" * 300,
    )

    assert_problem(response, 422, "idempotency-key-invalid")


def test_the_key_is_documented_in_the_openapi_document() -> None:
    from rxportal.api.api import api

    operation = api.get_openapi_schema()["paths"]["/api/v1/refills"]["post"]
    [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header"
    assert header["required"] is False
    assert "24 hours" in header["description"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers (PostgreSQL); the sequential replay above runs everywhere",
)
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_is_told_to_wait_and_one_order_is_placed(
    setting: Setting, today: dt.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)
    key = {"HTTP_IDEMPOTENCY_KEY": "concurrent-1"}
    inside = threading.Event()
    release = threading.Event()
    real_request_refill = refills_router.request_refill

    def slow_request_refill(**kwargs: Any) -> Any:
        inside.set()
        assert release.wait(timeout=30)
        return real_request_refill(**kwargs)

    monkeypatch.setattr(refills_router, "request_refill", slow_request_refill)
    answers: dict[str, Any] = {}

    def first() -> None:
        try:
            answers["first"] = call(
                "POST", "/refills", token, mail_refill(rx), client=Client(), **key
            )
        finally:
            connection.close()

    def second() -> None:
        try:
            answers["second"] = call(
                "POST", "/refills", token, mail_refill(rx), client=Client(), **key
            )
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert inside.wait(timeout=30)
    two = threading.Thread(target=second)
    two.start()
    two.join(timeout=30)
    release.set()
    one.join(timeout=30)

    assert answers["first"].status_code == 201
    assert_problem(answers["second"], 409, "idempotency-request-in-progress")
    assert answers["second"]["Retry-After"] == "1"
    replay = call("POST", "/refills", token, mail_refill(rx), **key)
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == answers["first"].json()
    assert RefillRequest.objects.count() == 1
    assert MailOrder.objects.count() == 1


# --- Automatic refills --------------------------------------------------------------------------


def test_automatic_refills_turn_on_and_off(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user)
    path = f"/prescriptions/{rx.public_id}/auto-refill"

    on = call("PUT", path, token, {"enabled": True})
    assert on.status_code == 200
    assert on.json() == {"prescription": str(rx.public_id), "auto_refill": True}
    rx.refresh_from_db()
    assert rx.auto_refill is True

    assert call("PUT", path, token, {"enabled": False}).json()["auto_refill"] is False
    rx.refresh_from_db()
    assert rx.auto_refill is False


def test_automatic_refills_follow_the_services_rules(setting: Setting, today: dt.date) -> None:
    drug = DrugFactory(dea_schedule=DeaSchedule.CII)
    rx = make_rx(setting, today=today, drug=drug, refills_remaining=0)
    token = token_for(setting.family.subscriber.user)

    response = call("PUT", f"/prescriptions/{rx.public_id}/auto-refill", token, {"enabled": True})

    assert_problem(response, 409, "refill.schedule_ii")


def test_automatic_refills_of_a_hidden_prescription_are_not_found(
    setting: Setting, today: dt.date
) -> None:
    adults = make_rx(setting, member=setting.family.adult_child, today=today)
    token = token_for(setting.family.subscriber.user)

    for public_id in (adults.public_id, "not-a-uuid"):
        response = call("PUT", f"/prescriptions/{public_id}/auto-refill", token, {"enabled": True})
        assert response.status_code == 404
    adults.refresh_from_db()
    assert adults.auto_refill is False
