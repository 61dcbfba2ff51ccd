"""Benefit notices: a claim load that pushes an accumulator over its plan's deductible or
out-of-pocket maximum tells the people concerned once per plan year and limit; the new plan
year is told once to each member with an account."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core import mail

from rxportal.claims.models import AccumulatorScope
from rxportal.claims.services import send_benefit_limit_notices
from rxportal.members.models import FamilyAccessGrant
from rxportal.notifications.models import Channel, Notification
from rxportal.plans.services import send_new_plan_year_notices
from tests.conftest import Family
from tests.factories import AccumulatorFactory, UserFactory

D = Decimal
DEDUCTIBLE = "benefits.deductible_met"
OOP = "benefits.out_of_pocket_max_reached"


def inbox(kind: str) -> list[Notification]:
    return list(
        Notification.objects.filter(kind=kind, channel=Channel.INBOX)
        .select_related("recipient")
        .order_by("pk")
    )


def family_ids(family: Family) -> list[int]:
    return [
        m.pk for m in (family.subscriber, family.spouse, family.minor_child, family.adult_child)
    ]


def test_a_deductible_met_is_told_once_per_plan_year(
    family: Family, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    year = family.subscriber.plan.plan_year
    row = AccumulatorFactory(member=family.subscriber, deductible_met=D("100.00"))

    assert (
        send_benefit_limit_notices(member_ids=[family.subscriber.pk], plan_year=year, today=today)
        == 0
    )
    assert Notification.objects.count() == 0

    row.deductible_met = D("250.00")  # the plan's $250 deductible
    row.save(update_fields=["deductible_met"])
    for _ in range(2):  # a second load the same year tells nobody again
        with django_capture_on_commit_callbacks(execute=True):
            send_benefit_limit_notices(
                member_ids=[family.subscriber.pk], plan_year=year, today=today
            )

    [told] = inbox(DEDUCTIBLE)
    assert told.recipient == family.subscriber.user
    assert "$250.00" in told.body_text and str(year) in told.body_text
    assert inbox(OOP) == []
    [email] = mail.outbox
    assert email.subject == "You have met your deductible"
    assert "$" not in email.body


def test_a_minors_limits_reach_the_subscriber_and_an_adults_only_with_consent(
    family: Family, today: dt.date
) -> None:
    year = family.subscriber.plan.plan_year
    for member in (family.minor_child, family.adult_child, family.spouse):
        AccumulatorFactory(member=member, deductible_met=D("250.00"), oop_met=D("3000.00"))

    send_benefit_limit_notices(member_ids=family_ids(family), plan_year=year, today=today)

    subjects = sorted(row.subject for row in inbox(DEDUCTIBLE) + inbox(OOP))
    assert subjects == [
        "Lucia has met the deductible",
        "Lucia has reached the out-of-pocket maximum",
    ]
    assert {row.recipient for row in inbox(DEDUCTIBLE)} == {family.subscriber.user}

    FamilyAccessGrant.objects.create(grantor=family.adult_child, grantee=family.subscriber)
    send_benefit_limit_notices(member_ids=family_ids(family), plan_year=year, today=today)

    assert sorted(row.subject for row in inbox(DEDUCTIBLE)) == [
        "Lucia has met the deductible",
        "Mateo has met the deductible",
    ]


def test_a_family_limit_reaches_every_family_member_with_an_account(
    family: Family, today: dt.date
) -> None:
    year = family.subscriber.plan.plan_year
    family.spouse.user = UserFactory(username="sam")
    family.spouse.save(update_fields=["user"])
    AccumulatorFactory(
        member=family.subscriber,
        scope=AccumulatorScope.FAMILY,
        deductible_met=D("499.99"),  # $500 family deductible: not yet
        oop_met=D("6000.00"),
    )

    send_benefit_limit_notices(member_ids=[family.minor_child.pk], plan_year=year, today=today)

    assert inbox(DEDUCTIBLE) == []
    told = inbox(OOP)
    assert sorted(row.recipient.username for row in told) == ["sam", "subscriber"]
    assert {row.subject for row in told} == {"Your family has reached its out-of-pocket maximum"}
    assert all("$6,000.00" in row.body_text for row in told)


def test_a_limit_in_spanish(family: Family, today: dt.date, settings: Any) -> None:
    settings.LANGUAGE_CODE = "es"
    year = family.subscriber.plan.plan_year
    AccumulatorFactory(member=family.minor_child, oop_met=D("3000.00"))

    send_benefit_limit_notices(member_ids=[family.minor_child.pk], plan_year=year, today=today)

    [row] = inbox(OOP)
    assert row.subject == "Lucia ha alcanzado el máximo de gastos de bolsillo"
    assert f"del año {year}" in row.body_text


def test_the_new_plan_year_is_told_once_to_each_member_with_an_account(
    family: Family, django_capture_on_commit_callbacks: Any
) -> None:
    year = family.subscriber.plan.plan_year
    new_year = dt.date(year, 1, 1)
    family.adult_child.user = UserFactory(username="mateo")
    family.adult_child.save(update_fields=["user"])

    assert send_new_plan_year_notices(today=new_year - dt.timedelta(days=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert send_new_plan_year_notices(today=new_year) == 2
    with django_capture_on_commit_callbacks(execute=True):
        send_new_plan_year_notices(today=new_year + dt.timedelta(days=1))  # told already
    assert send_new_plan_year_notices(today=new_year + dt.timedelta(days=8)) == 0

    told = inbox("benefits.new_plan_year")
    assert sorted(row.recipient.username for row in told) == ["mateo", "subscriber"]
    assert told[0].subject == f"Your {year} plan year has begun"
    assert "$250.00" in told[0].body_text
    assert len(mail.outbox) == 2
    assert all("$" not in message.body for message in mail.outbox)


def test_the_new_plan_year_task_is_scheduled(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["plans.send_new_plan_year_notices"]
    assert entry["task"] == "plans.send_new_plan_year_notices"
