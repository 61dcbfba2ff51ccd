"""Refill, auto-refill and renewal services: every rule, every error code, the audit trail,
and idempotency (a double submit, and on PostgreSQL two concurrent requests)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from rxportal.audit.models import AuditEvent, Outcome
from rxportal.core import clock
from rxportal.orders.models import MailOrder, ShippingAddress
from rxportal.prescriptions import errors, services
from rxportal.prescriptions.models import (
    Prescription,
    PrescriptionStatus,
    RefillRequest,
    RefillRequestStatus,
    RenewalRequest,
    RenewalStatus,
)
from rxportal.prescriptions.services import RefillLineInput
from rxportal.pricing.selectors import estimate_fill
from tests.factories import DrugFactory, MemberFactory, PrescriptionFactory, UserFactory
from tests.prescriptions.conftest import Setting, make_rx

pytestmark = pytest.mark.django_db


def refill(setting: Setting, rx: Prescription | list[Prescription], **kwargs: Any) -> RefillRequest:
    prescriptions = rx if isinstance(rx, list) else [rx]
    arguments: dict[str, Any] = {
        "actor": setting.family.subscriber.user,
        "member_id": prescriptions[0].member.public_id,
        "lines": [RefillLineInput(prescription_id=p.public_id) for p in prescriptions],
        "fulfilment": "mail",
        "idempotency_key": uuid.uuid4(),
        "today": clock.today(),
        "now": clock.now(),
    }
    arguments.update(kwargs)
    return services.request_refill(**arguments)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


# --- Placing refills -------------------------------------------------------------------------------


def test_a_mail_refill_places_one_mail_order_and_uses_a_refill(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    other = make_rx(setting, today=today, drug=setting.drug, rx_number="RX-SECOND")

    request = refill(setting, [rx, other])

    assert request.fulfilment == "mail"
    assert request.status == RefillRequestStatus.SUBMITTED
    assert request.member == setting.family.subscriber
    order = request.mail_order
    assert order is not None
    assert order.member == setting.family.subscriber
    assert sorted(order.lines.values_list("prescription_id", flat=True)) == sorted(
        [rx.pk, other.pk]
    )
    rx.refresh_from_db()
    assert rx.refills_remaining == 2
    assert rx.last_filled_on == today
    assert request.lines.count() == 2


def test_each_line_stores_the_engines_estimate(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    expected = estimate_fill(
        member=setting.family.subscriber,
        drug=setting.drug,
        channel="mail_90",
        days_supply=30,
        quantity=Decimal("30.000"),
    )

    request = refill(setting, rx)

    line = request.lines.get()
    assert expected.member_pays is not None
    assert line.estimated_member_cost == expected.member_pays


def test_a_pick_up_goes_to_an_in_network_pharmacy_without_a_mail_order(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    expected = estimate_fill(
        member=setting.family.subscriber,
        drug=setting.drug,
        channel="retail_30",
        days_supply=30,
        quantity=Decimal("30.000"),
        pharmacy=setting.pharmacy,
    )

    request = refill(setting, rx, fulfilment="pickup", pharmacy_id=setting.pharmacy.public_id)

    assert request.status == RefillRequestStatus.SENT_TO_PHARMACY
    assert request.pharmacy == setting.pharmacy
    assert request.mail_order is None
    assert MailOrder.objects.count() == 0
    assert request.lines.get().estimated_member_cost == expected.member_pays


def test_a_mail_refill_can_go_to_a_saved_address(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    address = ShippingAddress.objects.create(
        member=setting.family.subscriber,
        name="Dana Rivera",
        line1="9 Office Park",
        city="Hartford",
        state="CT",
        zip_code="06103",
        is_default=True,
    )

    request = refill(setting, rx, address_id=address.public_id)

    assert request.mail_order is not None
    assert request.mail_order.ship_to_address_line.startswith("9 Office Park")


def test_a_refill_is_audited_without_phi(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)

    request = refill(setting, rx)

    [event] = events("prescription.refill.requested")
    assert event.outcome == Outcome.SUCCESS
    assert event.subject_id == str(request.public_id)
    assert event.actor == setting.family.subscriber.user
    assert event.details == {
        "lines": 1,
        "fulfilment": "mail",
        "member": str(setting.family.subscriber.public_id),
        "mail_order": str(request.mail_order.public_id),  # type: ignore[union-attr]
    }


def test_a_subscriber_refills_a_minor_childs_prescription(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today, member=setting.family.minor_child)

    request = refill(setting, rx)

    assert request.member == setting.family.minor_child
    rx.refresh_from_db()
    assert rx.refills_remaining == 2
    # The order is the child's (its patient), placed by and shipped to the subscriber.
    assert request.mail_order is not None
    assert request.mail_order.member == setting.family.minor_child
    assert request.mail_order.ship_to_name == setting.family.subscriber.full_name


def test_a_quantity_below_the_prescription_is_allowed(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)

    request = refill(
        setting,
        rx,
        lines=[RefillLineInput(rx.public_id, quantity=Decimal("15"), days_supply=15)],
    )

    line = request.lines.get()
    assert (line.quantity, line.days_supply) == (Decimal("15"), 15)


# --- Refusals: every code, nothing written, audited as denied ----------------------------------------


def assert_refused(
    setting: Setting, error: type[errors.RefillError], code: str, **kwargs: Any
) -> None:
    rx = kwargs.pop("rx")
    before = list(Prescription.objects.order_by("pk").values_list("refills_remaining", flat=True))

    with pytest.raises(error) as raised:
        refill(setting, rx, **kwargs)

    assert raised.value.code == code
    assert RefillRequest.objects.count() == 0
    assert MailOrder.objects.count() == 0
    after = list(Prescription.objects.order_by("pk").values_list("refills_remaining", flat=True))
    assert after == before
    [event] = events("prescription.refill.requested")
    assert event.outcome == Outcome.DENIED
    assert event.details["error_code"] == code


def test_too_soon_is_refused(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today, last_filled_days_ago=22)  # allowed from day 23

    assert_refused(setting, errors.RefillTooSoon, "refill.too_soon", rx=rx)


def test_the_day_the_refill_is_allowed_is_not_too_soon(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today, last_filled_days_ago=23)

    assert refill(setting, rx).lines.count() == 1


def test_no_refills_left_is_refused(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today, refills_remaining=0)

    assert_refused(setting, errors.RefillNoneLeft, "refill.none_left", rx=rx)


@pytest.mark.parametrize("status", [PrescriptionStatus.ACTIVE, PrescriptionStatus.EXPIRED])
def test_an_expired_prescription_is_refused(setting: Setting, today: dt.date, status: str) -> None:
    rx = make_rx(setting, today=today, expires_in_days=-1, status=status)

    assert_refused(setting, errors.RefillExpired, "refill.expired", rx=rx)


def test_another_familys_prescription_is_not_found(setting: Setting, today: dt.date) -> None:
    stranger = make_rx(setting, today=today, member=MemberFactory())

    assert_refused(setting, errors.RefillNotFound, "refill.not_found", rx=stranger)


def test_an_adult_dependent_without_consent_is_not_found(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today, member=setting.family.adult_child)

    assert_refused(setting, errors.RefillNotFound, "refill.not_found", rx=rx)


def test_a_prescription_of_another_person_in_the_family_is_not_found(
    setting: Setting, today: dt.date
) -> None:
    childs = make_rx(setting, today=today, member=setting.family.minor_child)

    assert_refused(
        setting,
        errors.RefillNotFound,
        "refill.not_found",
        rx=childs,
        member_id=setting.family.subscriber.public_id,
    )


def test_nothing_selected_is_refused(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)

    assert_refused(
        setting, errors.RefillNothingSelected, "refill.nothing_selected", rx=rx, lines=[]
    )


def test_more_than_twenty_lines_are_refused(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)

    assert_refused(
        setting,
        errors.RefillTooMany,
        "refill.too_many",
        rx=rx,
        lines=[RefillLineInput(uuid.uuid4()) for _ in range(21)],
    )


@pytest.mark.parametrize(
    ("quantity", "days"), [(Decimal("31"), None), (Decimal("0"), None), (None, 31), (None, 0)]
)
def test_a_quantity_or_days_supply_beyond_the_prescription_is_refused(
    setting: Setting, today: dt.date, quantity: Decimal | None, days: int | None
) -> None:
    rx = make_rx(setting, today=today)

    assert_refused(
        setting,
        errors.RefillBadQuantity,
        "refill.bad_quantity",
        rx=rx,
        lines=[RefillLineInput(rx.public_id, quantity=quantity, days_supply=days)],
    )


def test_a_pick_up_needs_a_pharmacy(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)

    assert_refused(
        setting,
        errors.RefillPharmacyRequired,
        "refill.pharmacy_required",
        rx=rx,
        fulfilment="pickup",
    )


def test_a_pharmacy_outside_the_network_is_refused(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)

    assert_refused(
        setting,
        errors.RefillPharmacyNotInNetwork,
        "refill.pharmacy_not_in_network",
        rx=rx,
        fulfilment="pickup",
        pharmacy_id=setting.outside_pharmacy.public_id,
    )


def test_someone_elses_saved_address_is_refused(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    theirs = ShippingAddress.objects.create(
        member=MemberFactory(),
        name="Someone Else",
        line1="1 Other Road",
        city="Hartford",
        state="CT",
        zip_code="06103",
    )

    assert_refused(
        setting,
        errors.RefillAddressNotFound,
        "refill.address_not_found",
        rx=rx,
        address_id=theirs.public_id,
    )


def test_a_drug_the_plan_does_not_cover_is_refused(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today, drug=DrugFactory())  # not on the formulary

    assert_refused(setting, errors.RefillNotCovered, "refill.not_covered", rx=rx)


def test_one_bad_line_refuses_the_whole_request(setting: Setting, today: dt.date) -> None:
    good = make_rx(setting, today=today)
    too_soon = make_rx(setting, today=today, last_filled_days_ago=1)

    with pytest.raises(errors.RefillTooSoon):
        refill(setting, [good, too_soon])

    good.refresh_from_db()
    assert good.refills_remaining == 3
    assert RefillRequest.objects.count() == 0
    assert MailOrder.objects.count() == 0


def test_an_anonymous_actor_is_refused(setting: Setting, today: dt.date) -> None:
    from django.contrib.auth.models import AnonymousUser

    rx = make_rx(setting, today=today)

    with pytest.raises(errors.RefillNotFound):
        refill(setting, rx, actor=AnonymousUser())


# --- Idempotency -----------------------------------------------------------------------------------


def test_a_double_submit_returns_the_first_request(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    key = uuid.uuid4()

    first = refill(setting, rx, idempotency_key=key)
    second = refill(setting, rx, idempotency_key=key)

    assert second.pk == first.pk
    assert RefillRequest.objects.count() == 1
    assert MailOrder.objects.count() == 1
    rx.refresh_from_db()
    assert rx.refills_remaining == 2
    assert len(events("prescription.refill.requested")) == 1


def test_the_same_key_from_another_user_is_another_request(
    setting: Setting, today: dt.date
) -> None:
    key = uuid.uuid4()
    refill(setting, make_rx(setting, today=today), idempotency_key=key)
    plan = setting.family.subscriber.plan
    stranger = MemberFactory(user=UserFactory(), plan=plan, client=plan.client)
    theirs = make_rx(setting, today=today, member=stranger)

    other = refill(setting, theirs, actor=stranger.user, idempotency_key=key)

    assert other.member == stranger
    assert RefillRequest.objects.count() == 2


def test_a_request_that_wins_the_race_is_returned_after_an_integrity_error(
    setting: Setting, today: dt.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser of a race passes the first look-up, then its insert hits the constraint."""
    rx = make_rx(setting, today=today)
    key = uuid.uuid4()
    first = refill(setting, rx, idempotency_key=key)
    real_find = services._find_existing
    calls = {"n": 0}

    def find_nothing_twice(**kwargs: Any) -> RefillRequest | None:
        calls["n"] += 1
        return None if calls["n"] <= 2 else real_find(**kwargs)

    monkeypatch.setattr(services, "_find_existing", find_nothing_twice)
    rx.refresh_from_db()
    Prescription.objects.filter(pk=rx.pk).update(last_filled_on=today - dt.timedelta(days=60))

    again = refill(setting, rx, idempotency_key=key)

    assert again.pk == first.pk
    assert RefillRequest.objects.count() == 1
    assert MailOrder.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs row locks and concurrent writers (PostgreSQL); the sequential double submit "
    "above runs everywhere",
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_place_one_order(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    key = uuid.uuid4()
    results: list[int] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def submit() -> None:
        try:
            barrier.wait()
            results.append(refill(setting, rx, idempotency_key=key).pk)
        except BaseException as exc:  # surfaced by the assertions below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert RefillRequest.objects.count() == 1
    assert MailOrder.objects.count() == 1
    rx.refresh_from_db()
    assert rx.refills_remaining == 2


# --- Cancelled mail orders -------------------------------------------------------------------------


def test_a_cancelled_mail_order_gets_its_fill_date_back(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today, last_filled_days_ago=40)
    request = refill(setting, rx)

    changed = services.restore_fill_dates_of_mail_order(
        mail_order_id=request.mail_order_id  # type: ignore[arg-type]
    )

    assert changed == 1
    rx.refresh_from_db()
    assert rx.last_filled_on == today - dt.timedelta(days=40)
    request.refresh_from_db()
    assert request.status == RefillRequestStatus.CANCELLED


# --- Automatic refills -----------------------------------------------------------------------------


def test_auto_refill_can_be_switched_on_and_off_and_is_audited(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    user = setting.family.subscriber.user

    services.set_auto_refill(actor=user, prescription_id=rx.public_id, enabled=True, today=today)
    rx.refresh_from_db()
    assert rx.auto_refill is True
    services.set_auto_refill(actor=user, prescription_id=rx.public_id, enabled=False, today=today)
    rx.refresh_from_db()
    assert rx.auto_refill is False

    changes = events("prescription.auto_refill.changed")
    assert [e.details for e in changes] == [{"enabled": True}, {"enabled": False}]
    assert all(e.subject_id == str(rx.public_id) for e in changes)


def test_auto_refill_of_another_familys_prescription_is_not_found(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today, member=MemberFactory())

    with pytest.raises(errors.PrescriptionNotFound) as raised:
        services.set_auto_refill(
            actor=setting.family.subscriber.user,
            prescription_id=rx.public_id,
            enabled=True,
            today=today,
        )

    assert raised.value.code == "prescription.not_found"
    rx.refresh_from_db()
    assert rx.auto_refill is False


def test_auto_refill_cannot_be_switched_on_for_an_expired_prescription(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today, expires_in_days=-3)

    with pytest.raises(errors.RefillExpired):
        services.set_auto_refill(
            actor=setting.family.subscriber.user,
            prescription_id=rx.public_id,
            enabled=True,
            today=today,
        )


def test_due_auto_refills_are_placed_once(setting: Setting, today: dt.date) -> None:
    due = make_rx(setting, today=today, auto_refill=True)
    childs_due = make_rx(setting, today=today, auto_refill=True, member=setting.family.minor_child)
    make_rx(setting, today=today, auto_refill=True, last_filled_days_ago=5)  # too soon
    make_rx(setting, today=today, auto_refill=True, refills_remaining=0)  # none left
    make_rx(setting, today=today, auto_refill=False)  # not automatic
    make_rx(setting, today=today, auto_refill=True, expires_in_days=-1)  # expired

    run = services.run_due_auto_refills(today=today, now=clock.now())

    assert len(run.placed) == 2
    assert run.failed == {}
    requests = RefillRequest.objects.order_by("pk")
    assert [r.member_id for r in requests] == [due.member_id, childs_due.member_id]
    assert all(r.is_automatic and r.requested_by is None for r in requests)
    assert all(r.mail_order is not None for r in requests)
    # The child's order is the child's (the job orders as the prescription's patient), shipped
    # to the child's address on file.
    childs_order = requests[1].mail_order
    assert childs_order is not None
    assert childs_order.member == setting.family.minor_child
    assert childs_order.ship_to_name == setting.family.minor_child.full_name
    assert len(events("prescription.auto_refill.placed")) == 2

    again = services.run_due_auto_refills(today=today, now=clock.now())

    assert again.placed == []
    assert RefillRequest.objects.count() == 2
    assert MailOrder.objects.count() == 2


def test_an_auto_refill_key_already_used_places_nothing(setting: Setting, today: dt.date) -> None:
    """A rerun that finds the day's key taken (another worker) places no second order."""
    rx = make_rx(setting, today=today, auto_refill=True)
    due_on = today - dt.timedelta(days=7)  # 30 days ago + 23
    services._place_refill(
        actor=None,
        orderer=setting.family.subscriber,
        member=setting.family.subscriber,
        lines=[RefillLineInput(rx.public_id)],
        fulfilment=services.Fulfilment.MAIL,
        pharmacy_id=None,
        address_id=None,
        idempotency_key=services.domain.compute_auto_refill_key(
            prescription_public_id=rx.public_id, due_on=due_on
        ),
        is_automatic=True,
        today=today,
        now=clock.now(),
    )
    Prescription.objects.filter(pk=rx.pk).update(
        last_filled_on=today - dt.timedelta(days=30), refills_remaining=3
    )

    run = services.run_due_auto_refills(today=today, now=clock.now())

    assert run.placed == []
    assert MailOrder.objects.count() == 1


def test_a_failing_auto_refill_does_not_stop_the_others(setting: Setting, today: dt.date) -> None:
    uncovered = make_rx(setting, today=today, auto_refill=True, drug=DrugFactory())
    covered = make_rx(setting, today=today, auto_refill=True)

    run = services.run_due_auto_refills(today=today, now=clock.now())

    assert run.failed == {str(uncovered.public_id): "refill.not_covered"}
    assert len(run.placed) == 1
    assert RefillRequest.objects.get().lines.get().prescription == covered
    failures = [e for e in events("prescription.auto_refill.placed") if e.outcome == "failure"]
    assert [e.details for e in failures] == [{"error_code": "refill.not_covered"}]


def test_the_celery_task_runs_the_service(setting: Setting, today: dt.date) -> None:
    from rxportal.prescriptions.tasks import run_due_auto_refills

    make_rx(setting, today=today, auto_refill=True)

    result = run_due_auto_refills.delay().get()

    assert result == {"placed": 1, "failed": 0}


# --- Renewals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs", [{"refills_remaining": 0}, {"expires_in_days": -10, "status": "expired"}]
)
def test_a_renewal_is_requested_once_and_audited(
    setting: Setting, today: dt.date, kwargs: dict[str, Any]
) -> None:
    rx = make_rx(setting, today=today, **kwargs)
    user = setting.family.subscriber.user

    renewal = services.request_renewal(actor=user, prescription_id=rx.public_id, today=today)
    again = services.request_renewal(actor=user, prescription_id=rx.public_id, today=today)

    assert again.pk == renewal.pk
    assert renewal.status == RenewalStatus.PENDING
    assert renewal.requested_by == user
    [event] = events("prescription.renewal.requested")
    assert event.subject_id == str(renewal.public_id)
    assert event.details == {"prescription": str(rx.public_id)}


def test_a_renewal_is_not_needed_while_refills_are_left(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)

    with pytest.raises(errors.RenewalNotNeeded) as raised:
        services.request_renewal(
            actor=setting.family.subscriber.user, prescription_id=rx.public_id, today=today
        )

    assert raised.value.code == "renewal.not_needed"
    assert RenewalRequest.objects.count() == 0


def test_a_renewal_of_another_familys_prescription_is_not_found(
    setting: Setting, today: dt.date
) -> None:
    rx = PrescriptionFactory(refills_remaining=0)

    with pytest.raises(errors.PrescriptionNotFound):
        services.request_renewal(
            actor=setting.family.subscriber.user, prescription_id=rx.public_id, today=today
        )

    assert RenewalRequest.objects.count() == 0


def test_a_closed_renewal_allows_a_new_one(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today, refills_remaining=0)
    user = setting.family.subscriber.user
    first = services.request_renewal(actor=user, prescription_id=rx.public_id, today=today)
    RenewalRequest.objects.filter(pk=first.pk).update(status=RenewalStatus.DENIED)

    second = services.request_renewal(actor=user, prescription_id=rx.public_id, today=today)

    assert second.pk != first.pk
