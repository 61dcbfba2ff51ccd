"""Controlled substances in the refill service, the auto-refill switch and job, renewals, the
reminders and the dashboard: every refusal has its error code, is audited, and writes
nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from rxportal.audit.models import AuditEvent, Outcome
from rxportal.core import clock
from rxportal.formulary.models import Drug, FormularyEntry
from rxportal.notifications.models import Channel, Notification
from rxportal.plans.models import Tier
from rxportal.prescriptions import errors, reminders, services
from rxportal.prescriptions.domain import RefillStatus
from rxportal.prescriptions.models import Prescription, RefillRequest, RenewalRequest
from rxportal.prescriptions.selectors import (
    AlertKind,
    get_prescription_attention,
    list_prescriptions_by_person,
)
from rxportal.prescriptions.services import RefillLineInput
from tests.factories import DrugFactory
from tests.prescriptions.conftest import Setting, make_rx

pytestmark = pytest.mark.django_db


def covered_drug(setting: Setting, *, schedule: str, name: str) -> Drug:
    drug = DrugFactory(name=name, dea_schedule=schedule)
    FormularyEntry.objects.create(
        formulary=setting.family.subscriber.plan.formulary,
        drug=drug,
        tier=Tier.GENERIC,
        mail_eligible=True,
    )
    return drug


@pytest.fixture
def oxycodone(setting: Setting) -> Drug:
    return covered_drug(setting, schedule="CII", name="oxycodone hydrochloride 5 MG Oral Tablet")


@pytest.fixture
def tramadol(setting: Setting) -> Drug:
    return covered_drug(setting, schedule="CIV", name="tramadol hydrochloride 50 MG Oral Tablet")


def written_days_ago(rx: Prescription, days: int) -> Prescription:
    rx.written_on = clock.today() - dt.timedelta(days=days)
    rx.save(update_fields=["written_on"])
    return rx


def refill(setting: Setting, rx: Prescription) -> RefillRequest:
    return services.request_refill(
        actor=setting.family.subscriber.user,
        member_id=rx.member.public_id,
        lines=[RefillLineInput(prescription_id=rx.public_id)],
        fulfilment="mail",
        idempotency_key=uuid.uuid4(),
        today=clock.today(),
        now=clock.now(),
    )


def assert_refused(setting: Setting, rx: Prescription, code: str) -> None:
    before = (rx.refills_remaining, rx.last_filled_on)
    with pytest.raises(errors.RefillError) as raised:
        refill(setting, rx)
    assert raised.value.code == code
    assert raised.value.details["prescription"] == str(rx.public_id)
    rx.refresh_from_db()
    assert (rx.refills_remaining, rx.last_filled_on) == before
    assert not RefillRequest.objects.exists()
    denied = AuditEvent.objects.get(action="prescription.refill.requested")
    assert denied.outcome == Outcome.DENIED
    assert denied.details["error_code"] == code


def test_a_schedule_ii_prescription_is_never_refilled(
    setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    # Refills on record (as the old demo data had them) change nothing: the law forbids them.
    rx = make_rx(setting, today=today, drug=oxycodone, refills_remaining=3)

    assert_refused(setting, rx, "refill.schedule_ii")


def test_a_schedule_iv_prescription_stops_after_five_refills(
    setting: Setting, today: dt.date, tramadol: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=tramadol, refills_remaining=1)
    rx.refills_authorized = 6  # five used
    rx.save()

    assert_refused(setting, rx, "refill.controlled_limit")


def test_a_schedule_iv_prescription_stops_six_months_after_it_was_written(
    setting: Setting, today: dt.date, tramadol: Drug
) -> None:
    rx = written_days_ago(make_rx(setting, today=today, drug=tramadol), 200)

    with pytest.raises(errors.RefillControlledLimit) as raised:
        refill(setting, rx)
    deadline = dt.date.fromisoformat(raised.value.details["refill_deadline"])
    assert deadline < today


def test_a_schedule_iv_prescription_within_its_limits_is_refilled(
    setting: Setting, today: dt.date, tramadol: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=tramadol, refills_remaining=2)  # 3 of 5 used

    refill(setting, rx)

    rx.refresh_from_db()
    assert rx.refills_remaining == 1


def test_automatic_refills_cannot_be_turned_on_for_schedule_ii(
    setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=oxycodone)

    with pytest.raises(errors.RefillScheduleII) as raised:
        services.set_auto_refill(
            actor=setting.family.subscriber.user,
            prescription_id=rx.public_id,
            enabled=True,
            today=today,
        )

    assert raised.value.code == "refill.schedule_ii"
    assert "Schedule II" in raised.value.message
    rx.refresh_from_db()
    assert rx.auto_refill is False
    assert not AuditEvent.objects.filter(action="prescription.auto_refill.changed").exists()


def test_automatic_refills_cannot_be_turned_on_at_the_controlled_limit_but_off_always(
    setting: Setting, today: dt.date, tramadol: Drug, oxycodone: Drug
) -> None:
    limited = written_days_ago(make_rx(setting, today=today, drug=tramadol), 200)
    with pytest.raises(errors.RefillControlledLimit):
        services.set_auto_refill(
            actor=setting.family.subscriber.user,
            prescription_id=limited.public_id,
            enabled=True,
            today=today,
        )
    on = make_rx(setting, today=today, drug=oxycodone, auto_refill=True)

    services.set_auto_refill(
        actor=setting.family.subscriber.user,
        prescription_id=on.public_id,
        enabled=False,
        today=today,
    )

    on.refresh_from_db()
    assert on.auto_refill is False


def test_the_job_does_not_refill_a_schedule_ii_prescription_and_says_why(
    setting: Setting,
    today: dt.date,
    oxycodone: Drug,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rx = make_rx(setting, today=today, drug=oxycodone, auto_refill=True)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.run_due_auto_refills(today=today, now=clock.now())
        second = services.run_due_auto_refills(today=today, now=clock.now())

    assert first.placed == [] and first.failed == {}
    assert first.blocked == {str(rx.public_id): "refill.schedule_ii"}
    assert not RefillRequest.objects.exists()
    rx.refresh_from_db()
    assert rx.refills_remaining == 3
    [notice] = Notification.objects.filter(
        kind="prescriptions.auto_refill_blocked", channel=Channel.INBOX
    )
    assert "Schedule II controlled substance" in notice.body_text
    assert "request a new prescription" in notice.body_text
    assert second.blocked == first.blocked  # told once: the notice has the same key


def test_a_new_prescription_can_be_requested_for_schedule_ii_with_refills_on_record(
    setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=oxycodone, refills_remaining=3)

    renewal = services.request_renewal(
        actor=setting.family.subscriber.user, prescription_id=rx.public_id, today=today
    )

    assert RenewalRequest.objects.get() == renewal


def test_no_reminder_invites_a_refill_of_schedule_ii(
    setting: Setting, today: dt.date, oxycodone: Drug, django_capture_on_commit_callbacks: Any
) -> None:
    make_rx(setting, today=today, drug=oxycodone)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_refill_reminders(today=today).prescriptions_due == 0
    make_rx(setting, today=today)  # the same dates, not controlled: due
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_refill_reminders(today=today).prescriptions_due == 1


def test_the_dashboard_lists_no_controlled_refill_and_asks_for_a_new_prescription(
    setting: Setting, today: dt.date, oxycodone: Drug, tramadol: Drug
) -> None:
    schedule_ii = make_rx(setting, today=today, drug=oxycodone)
    limited = written_days_ago(make_rx(setting, today=today, drug=tramadol), 200)
    plain = make_rx(setting, today=today)

    attention = get_prescription_attention(viewer=setting.family.subscriber.user, today=today)

    assert [row.prescription.pk for row in attention.refills_due] == [plain.pk]
    alerts = {alert.prescription.pk: alert.kind for alert in attention.alerts}
    assert alerts[schedule_ii.pk] is AlertKind.NEW_PRESCRIPTION_NEEDED
    assert alerts[limited.pk] is AlertKind.NEW_PRESCRIPTION_NEEDED
    statuses = {alert.prescription.pk: alert.row.status for alert in attention.alerts}
    assert statuses[schedule_ii.pk] is RefillStatus.SCHEDULE_II
    assert statuses[limited.pk] is RefillStatus.CONTROLLED_LIMIT


def test_a_new_schedule_ii_prescription_replaces_the_expired_one_on_the_list(
    setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    old = make_rx(setting, today=today, drug=oxycodone, expires_in_days=-10)
    new = make_rx(setting, today=today, drug=oxycodone, refills_remaining=0)

    [group, *_] = list_prescriptions_by_person(viewer=setting.family.subscriber.user, today=today)

    listed = [row.prescription.pk for row in group.rows]
    assert new.pk in listed
    assert old.pk not in listed


def test_a_schedule_ii_prescription_never_filled_is_filled_once(
    setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    # A brand-new C-II prescription: no refills (the law allows none), never filled.
    rx = make_rx(
        setting, today=today, drug=oxycodone, refills_remaining=0, last_filled_days_ago=None
    )
    rx.refills_authorized = 0
    rx.save(update_fields=["refills_authorized"])

    refill(setting, rx)

    rx.refresh_from_db()
    assert rx.last_filled_on == today
    assert rx.refills_remaining == 0  # the first fill uses no refill
    # The second order is a refill: refused.
    with pytest.raises(errors.RefillScheduleII):
        refill(setting, rx)
    assert RefillRequest.objects.count() == 1


def test_automatic_refills_cannot_be_turned_on_for_an_unfilled_schedule_ii(
    setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=oxycodone, last_filled_days_ago=None)

    with pytest.raises(errors.RefillScheduleII):
        services.set_auto_refill(
            actor=setting.family.subscriber.user,
            prescription_id=rx.public_id,
            enabled=True,
            today=today,
        )
    rx.refresh_from_db()
    assert rx.auto_refill is False


def test_the_job_does_not_fill_an_unfilled_schedule_ii_automatically(
    setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    # Left on from before the schedules were known: the first fill is the member's to order.
    make_rx(setting, today=today, drug=oxycodone, auto_refill=True, last_filled_days_ago=None)

    run = services.run_due_auto_refills(today=today, now=clock.now())

    assert run.placed == [] and run.failed == {}
    assert not RefillRequest.objects.exists()


@pytest.mark.parametrize("schedule", ["CI"])
def test_a_schedule_i_prescription_is_refused_without_saying_schedule_ii(
    setting: Setting, today: dt.date, schedule: str
) -> None:
    drug = covered_drug(setting, schedule=schedule, name="marihuana 10 MG Oral Capsule")
    rx = make_rx(setting, today=today, drug=drug)

    with pytest.raises(errors.RefillScheduleII) as raised:
        refill(setting, rx)
    assert "Schedule II" not in raised.value.message
    assert "controlled substance" in raised.value.message
    with pytest.raises(errors.RefillScheduleII) as raised:
        services.set_auto_refill(
            actor=setting.family.subscriber.user,
            prescription_id=rx.public_id,
            enabled=True,
            today=today,
        )
    assert "Schedule II" not in raised.value.message


def test_a_schedule_ii_alert_comes_only_when_its_supply_runs_out_soon(
    setting: Setting, today: dt.date, oxycodone: Drug, tramadol: Drug
) -> None:
    # Filled yesterday for 30 days: nothing to ask for yet. Filled 25 days ago: 5 days left.
    fresh = make_rx(setting, today=today, drug=oxycodone, last_filled_days_ago=1)
    running_out = make_rx(
        setting,
        today=today,
        drug=covered_drug(
            setting, schedule="CII", name="methylphenidate hydrochloride 10 MG Oral Tablet"
        ),
        last_filled_days_ago=25,
    )

    attention = get_prescription_attention(viewer=setting.family.subscriber.user, today=today)

    alerted = [alert.prescription.pk for alert in attention.alerts]
    assert fresh.pk not in alerted
    assert running_out.pk in alerted


def test_only_the_newest_schedule_ii_prescription_of_a_drug_is_listed_and_alerted(
    setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    older = written_days_ago(
        make_rx(setting, today=today, drug=oxycodone, last_filled_days_ago=31), 40
    )
    newer = written_days_ago(
        make_rx(setting, today=today, drug=oxycodone, last_filled_days_ago=1), 2
    )
    older.refills_remaining = newer.refills_remaining = 0
    older.save()
    newer.save()

    [group, *_] = list_prescriptions_by_person(viewer=setting.family.subscriber.user, today=today)
    attention = get_prescription_attention(viewer=setting.family.subscriber.user, today=today)

    assert [row.prescription.pk for row in group.rows] == [newer.pk]
    assert [alert.prescription.pk for alert in attention.alerts] == []
    # A new prescription not yet filled replaces the filled one too.
    newest = written_days_ago(
        make_rx(setting, today=today, drug=oxycodone, last_filled_days_ago=None), 0
    )
    [group, *_] = list_prescriptions_by_person(viewer=setting.family.subscriber.user, today=today)
    assert [row.prescription.pk for row in group.rows] == [newest.pk]
    assert group.rows[0].status is RefillStatus.REFILL_NOW
