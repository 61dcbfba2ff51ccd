"""Reads for the prescriptions page and the dashboard, scoped to the viewer's family."""

from __future__ import annotations

import datetime as dt

import pytest

from rxportal.prescriptions.domain import RefillStatus
from rxportal.prescriptions.models import RenewalRequest
from rxportal.prescriptions.selectors import (
    AlertKind,
    get_prescription_attention,
    list_prescription_alerts,
    list_prescriptions_by_person,
    list_refills_due,
)
from tests.factories import DrugFactory, MemberFactory
from tests.prescriptions.conftest import Setting, make_rx

pytestmark = pytest.mark.django_db


def test_prescriptions_are_grouped_by_the_people_the_viewer_may_act_for(
    setting: Setting, today: dt.date
) -> None:
    family = setting.family
    own = make_rx(setting, today=today)
    childs = make_rx(setting, today=today, member=family.minor_child)
    make_rx(setting, today=today, member=family.adult_child)  # no consent
    make_rx(setting, today=today, member=family.spouse)  # no consent
    make_rx(setting, today=today, member=MemberFactory())  # another family

    groups = list_prescriptions_by_person(viewer=family.subscriber.user, today=today)

    assert [g.member for g in groups] == [family.subscriber, family.minor_child]
    assert [g.is_viewer for g in groups] == [True, False]
    assert [r.prescription for r in groups[0].rows] == [own]
    assert [r.prescription for r in groups[1].rows] == [childs]


def test_a_dependent_sees_only_their_own(setting: Setting, today: dt.date) -> None:
    from tests.factories import UserFactory

    spouse = setting.family.spouse
    spouse.user = UserFactory()
    spouse.save()
    make_rx(setting, today=today)
    theirs = make_rx(setting, today=today, member=spouse)

    groups = list_prescriptions_by_person(viewer=spouse.user, today=today)

    assert [[r.prescription for r in g.rows] for g in groups] == [[theirs]]


def test_rows_carry_status_next_date_and_open_renewal(setting: Setting, today: dt.date) -> None:
    ready = make_rx(setting, today=today)
    soon = make_rx(setting, today=today, last_filled_days_ago=10, drug=DrugFactory(name="B"))
    none_left = make_rx(setting, today=today, refills_remaining=0, drug=DrugFactory(name="C"))
    renewal = RenewalRequest.objects.create(
        prescription=none_left, requested_by=setting.family.subscriber.user
    )

    [group] = list_prescriptions_by_person(viewer=setting.family.subscriber.user, today=today)[:1]
    rows = {row.prescription.pk: row for row in group.rows}

    assert rows[ready.pk].status is RefillStatus.REFILL_NOW
    assert rows[ready.pk].can_refill
    assert rows[soon.pk].status is RefillStatus.TOO_SOON
    assert rows[soon.pk].next_refill_date == today + dt.timedelta(days=13)
    assert rows[none_left.pk].status is RefillStatus.NO_REFILLS_LEFT
    assert rows[none_left.pk].open_renewal == renewal
    assert not rows[none_left.pk].can_request_renewal  # already requested


def test_recently_expired_prescriptions_are_listed_unless_replaced(
    setting: Setting, today: dt.date
) -> None:
    lapsed = make_rx(
        setting, today=today, expires_in_days=-20, status="expired", drug=DrugFactory()
    )
    make_rx(setting, today=today, expires_in_days=-200, status="expired", drug=DrugFactory())
    make_rx(setting, today=today, expires_in_days=-20, status="expired")  # replaced by:
    current = make_rx(setting, today=today)

    [group] = list_prescriptions_by_person(viewer=setting.family.subscriber.user, today=today)[:1]

    assert {row.prescription for row in group.rows} == {lapsed, current}
    assert next(r for r in group.rows if r.prescription == lapsed).status is RefillStatus.EXPIRED


def test_refills_due_are_allowed_now_or_within_a_week(setting: Setting, today: dt.date) -> None:
    now = make_rx(setting, today=today)
    in_a_week = make_rx(setting, today=today, last_filled_days_ago=16)  # allowed day 23
    make_rx(setting, today=today, last_filled_days_ago=15)  # in 8 days
    make_rx(setting, today=today, refills_remaining=0)
    make_rx(setting, today=today, expires_in_days=-1)
    childs = make_rx(setting, today=today, member=setting.family.minor_child)
    make_rx(setting, today=today, member=setting.family.adult_child)

    due = list_refills_due(viewer=setting.family.subscriber.user, today=today)

    assert {row.prescription for row in due} == {now, in_a_week, childs}
    assert due[-1].prescription == in_a_week  # soonest first
    assert due[0].prescription.member.first_name  # members are loaded


def test_refills_due_is_empty_for_non_members(db: None, today: dt.date) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert list_refills_due(viewer=AnonymousUser(), today=today) == []
    assert list_prescription_alerts(viewer=AnonymousUser(), today=today) == []


def test_alerts_for_expiring_soon_and_no_refills_without_renewal(
    setting: Setting, today: dt.date
) -> None:
    expiring = make_rx(setting, today=today, expires_in_days=30)
    make_rx(setting, today=today, expires_in_days=31)
    none_left = make_rx(setting, today=today, refills_remaining=0, drug=DrugFactory())
    renewed = make_rx(setting, today=today, refills_remaining=0, drug=DrugFactory())
    RenewalRequest.objects.create(prescription=renewed, requested_by=setting.family.subscriber.user)

    alerts = list_prescription_alerts(viewer=setting.family.subscriber.user, today=today)

    assert {(a.kind, a.prescription) for a in alerts} == {
        (AlertKind.EXPIRING_SOON, expiring),
        (AlertKind.NO_REFILLS_LEFT, none_left),
    }


def test_a_used_up_prescription_replaced_by_a_new_one_is_not_listed(
    setting: Setting, today: dt.date
) -> None:
    make_rx(setting, today=today, refills_remaining=0)
    new = make_rx(setting, today=today, last_filled_days_ago=2)

    [group] = list_prescriptions_by_person(viewer=setting.family.subscriber.user, today=today)[:1]

    assert [row.prescription for row in group.rows] == [new]


def test_dashboard_selectors_use_few_queries(
    setting: Setting, today: dt.date, django_assert_max_num_queries
) -> None:
    for _ in range(5):
        make_rx(setting, today=today, drug=DrugFactory())
        make_rx(setting, today=today, member=setting.family.minor_child, drug=DrugFactory())
    user = setting.family.subscriber.user

    # Member, visible family, prescriptions (open renewals are an EXISTS in the same query).
    with django_assert_max_num_queries(3):
        list_refills_due(viewer=user, today=today)
    with django_assert_max_num_queries(3):
        list_prescription_alerts(viewer=user, today=today)


def test_attention_reads_refills_due_and_alerts_at_once(
    setting: Setting, today: dt.date, django_assert_max_num_queries
) -> None:
    due = make_rx(setting, today=today)
    due_renewed = make_rx(setting, today=today, drug=DrugFactory(), expires_in_days=20)
    renewal = RenewalRequest.objects.create(
        prescription=due_renewed, requested_by=setting.family.subscriber.user
    )
    none_left = make_rx(setting, today=today, refills_remaining=0, drug=DrugFactory())
    for _ in range(5):
        make_rx(setting, today=today, member=setting.family.minor_child, drug=DrugFactory())
    user = setting.family.subscriber.user

    # With an open renewal among the listed rows, one more query reads it.
    with django_assert_max_num_queries(4):
        attention = get_prescription_attention(viewer=user, today=today)
        shown = [
            (row.prescription.drug.name, row.prescription.member.first_name, row.can_refill)
            for row in attention.refills_due
        ] + [
            (alert.prescription.drug.name, alert.prescription.member.first_name)
            for alert in attention.alerts
        ]

    assert len(shown) == 7 + 2
    assert attention.refills_due == list_refills_due(viewer=user, today=today)
    assert attention.alerts == list_prescription_alerts(viewer=user, today=today)
    assert {row.prescription for row in attention.refills_due} >= {due, due_renewed}
    renewed_row = next(r for r in attention.refills_due if r.prescription == due_renewed)
    assert renewed_row.open_renewal == renewal
    assert not renewed_row.can_request_renewal
    assert {(a.kind, a.prescription) for a in attention.alerts} == {
        (AlertKind.EXPIRING_SOON, due_renewed),
        (AlertKind.NO_REFILLS_LEFT, none_left),
    }
