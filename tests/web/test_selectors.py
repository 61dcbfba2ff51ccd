"""Member and claim selectors: who may see which family member, and accumulator maths."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from rxportal.claims.models import AccumulatorScope
from rxportal.claims.selectors import (
    AmountProgress,
    get_accumulator_summary,
    list_recent_claims,
)
from rxportal.members.selectors import (
    _latest_birth_date_of_an_adult,
    find_member_for_user,
    list_family_members_visible_to,
)
from rxportal.web.selectors import find_member_dashboard
from tests.conftest import Family
from tests.factories import (
    AccumulatorFactory,
    ClaimFactory,
    DependentFactory,
    MemberFactory,
    PlanFactory,
    UserFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db


def test_find_member_for_user_returns_the_linked_member(family: Family) -> None:
    assert find_member_for_user(user=family.subscriber.user) == family.subscriber


@pytest.mark.parametrize("role", ["client", "advisor", "account_team"])
def test_find_member_for_user_returns_none_without_a_member_record(role: str) -> None:
    assert find_member_for_user(user=UserFactory(role=role)) is None


def test_find_member_for_user_returns_none_for_anonymous_visitors() -> None:
    assert find_member_for_user(user=AnonymousUser()) is None


def test_subscriber_sees_themself_and_minor_dependents_only(family: Family) -> None:
    visible = list_family_members_visible_to(viewer=family.subscriber.user)

    assert visible == [family.subscriber, family.minor_child]


def test_spouse_sees_only_themself_until_consent_exists(family: Family) -> None:
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()

    assert list_family_members_visible_to(viewer=family.spouse.user) == [family.spouse]


def test_nobody_is_visible_to_a_user_without_a_member_record() -> None:
    assert list_family_members_visible_to(viewer=UserFactory(role="client")) == []


@pytest.mark.parametrize(
    ("born", "visible"),
    [
        (dt.date(2008, 5, 10), False),  # 18th birthday today: an adult
        (dt.date(2008, 5, 11), True),  # 18th birthday tomorrow: still a minor
    ],
)
def test_a_dependent_stops_being_visible_on_their_18th_birthday(
    born: dt.date, visible: bool
) -> None:
    subscriber = MemberFactory(user=UserFactory())
    child = DependentFactory(subscriber=subscriber, date_of_birth=born)

    seen = list_family_members_visible_to(viewer=subscriber.user, today=dt.date(2026, 5, 10))

    assert (child in seen) is visible


@pytest.mark.parametrize(
    ("today", "latest_adult_birth_date"),
    [
        (dt.date(2026, 5, 10), dt.date(2008, 5, 10)),
        (dt.date(2028, 2, 29), dt.date(2010, 2, 28)),
    ],
)
def test_latest_birth_date_of_an_adult(today: dt.date, latest_adult_birth_date: dt.date) -> None:
    assert _latest_birth_date_of_an_adult(today) == latest_adult_birth_date


def test_recent_claims_include_own_and_minor_claims_not_adult_or_other_families(
    family: Family, today: dt.date
) -> None:
    own = ClaimFactory(member=family.subscriber, service_date=today - dt.timedelta(days=3))
    minor = ClaimFactory(member=family.minor_child, service_date=today - dt.timedelta(days=1))
    ClaimFactory(member=family.spouse)
    ClaimFactory(member=family.adult_child)
    ClaimFactory(member=MemberFactory())

    claims = list_recent_claims(viewer=family.subscriber.user, limit=10)

    assert claims == [minor, own]


def test_recent_claims_are_newest_first_and_limited(family: Family, today: dt.date) -> None:
    claims = [
        ClaimFactory(member=family.subscriber, service_date=today - dt.timedelta(days=days))
        for days in range(12)
    ]

    recent = list_recent_claims(viewer=family.subscriber.user, limit=10)

    assert recent == claims[:10]


def test_recent_claims_are_empty_for_non_members() -> None:
    assert list_recent_claims(viewer=UserFactory(role="advisor"), limit=10) == []


def test_accumulator_summary_adds_up_individual_and_family(family: Family) -> None:
    plan = family.subscriber.plan  # $250 / $500 deductible, $3,000 / $6,000 out-of-pocket
    AccumulatorFactory(member=family.subscriber, deductible_met=D("100.00"), oop_met=D("425.50"))
    AccumulatorFactory(
        member=family.subscriber,
        scope=AccumulatorScope.FAMILY,
        deductible_met=D("350.00"),
        oop_met=D("1200.00"),
    )
    AccumulatorFactory(member=family.subscriber, plan_year=plan.plan_year - 1, oop_met=D("999"))

    summary = get_accumulator_summary(viewer=family.subscriber.user, plan_year=plan.plan_year)

    assert summary is not None
    assert summary.individual_deductible == AmountProgress(
        used=D("100.00"), maximum=D("250.00"), left=D("150.00")
    )
    assert summary.individual_oop == AmountProgress(
        used=D("425.50"), maximum=D("3000.00"), left=D("2574.50")
    )
    assert summary.family_deductible == AmountProgress(
        used=D("350.00"), maximum=D("500.00"), left=D("150.00")
    )
    assert summary.family_oop == AmountProgress(
        used=D("1200.00"), maximum=D("6000.00"), left=D("4800.00")
    )


def test_accumulator_summary_of_a_dependent_reads_the_family_row_of_the_subscriber(
    family: Family,
) -> None:
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()
    AccumulatorFactory(member=family.spouse, deductible_met=D("40.00"), oop_met=D("40.00"))
    AccumulatorFactory(member=family.subscriber, deductible_met=D("90.00"), oop_met=D("90.00"))
    AccumulatorFactory(
        member=family.subscriber, scope=AccumulatorScope.FAMILY, deductible_met=D("130.00")
    )

    summary = get_accumulator_summary(
        viewer=family.spouse.user, plan_year=family.spouse.plan.plan_year
    )

    assert summary is not None
    assert summary.individual_deductible.used == D("40.00")
    assert summary.family_deductible is not None
    assert summary.family_deductible.used == D("130.00")


def test_accumulator_summary_without_rows_is_all_zero_used(family: Family) -> None:
    summary = get_accumulator_summary(
        viewer=family.subscriber.user, plan_year=family.subscriber.plan.plan_year
    )

    assert summary is not None
    assert summary.individual_oop == AmountProgress(
        used=D("0.00"), maximum=D("3000.00"), left=D("3000.00")
    )


def test_accumulator_left_is_never_negative() -> None:
    progress = AmountProgress.of(used=D("260.00"), maximum=D("250.00"))

    assert progress.left == D("0.00")
    assert progress.used_within_maximum == D("250.00")


def test_accumulator_summary_has_no_family_amounts_for_self_only_coverage() -> None:
    member = MemberFactory(user=UserFactory())

    summary = get_accumulator_summary(viewer=member.user, plan_year=member.plan.plan_year)

    assert summary is not None
    assert summary.family_deductible is None
    assert summary.family_oop is None
    assert not summary.has_family


def test_accumulator_summary_has_no_family_amounts_when_the_plan_has_none() -> None:
    plan = PlanFactory(deductible_family=None, oop_max_family=None)
    subscriber = MemberFactory(user=UserFactory(), plan=plan, client=plan.client)
    DependentFactory(subscriber=subscriber)

    summary = get_accumulator_summary(viewer=subscriber.user, plan_year=plan.plan_year)

    assert summary is not None
    assert not summary.has_family


def test_accumulator_summary_knows_a_visible_family_without_asking_again(
    family: Family, django_assert_max_num_queries
) -> None:
    viewer = family.subscriber.user
    visible = list_family_members_visible_to(viewer=viewer)
    year = family.subscriber.plan.plan_year
    with_query = get_accumulator_summary(viewer=viewer, plan_year=year)

    with django_assert_max_num_queries(2):  # the member, the accumulators
        summary = get_accumulator_summary(viewer=viewer, plan_year=year, family=visible)

    assert summary == with_query
    assert summary is not None and summary.has_family


@pytest.mark.parametrize("has_spouse", [True, False])
def test_accumulator_summary_asks_about_family_with_the_accumulators(
    has_spouse: bool, django_assert_max_num_queries
) -> None:
    subscriber = MemberFactory(user=UserFactory())
    if has_spouse:  # an adult who has not consented: not visible, but family on the plan
        DependentFactory(subscriber=subscriber, spouse=True)
    AccumulatorFactory(member=subscriber)
    visible = list_family_members_visible_to(viewer=subscriber.user)
    assert visible == [subscriber]

    with django_assert_max_num_queries(2):  # the member, the accumulators
        summary = get_accumulator_summary(
            viewer=subscriber.user, plan_year=subscriber.plan.plan_year, family=visible
        )

    assert summary is not None
    assert summary.has_family is has_spouse


def test_accumulator_summary_is_none_for_non_members() -> None:
    assert get_accumulator_summary(viewer=UserFactory(role="client"), plan_year=2026) is None


def test_member_dashboard_reads_within_a_query_budget(
    family: Family, today: dt.date, django_assert_max_num_queries
) -> None:
    for member in (family.subscriber, family.minor_child, family.adult_child):
        ClaimFactory.create_batch(4, member=member)
    AccumulatorFactory(member=family.subscriber)
    AccumulatorFactory(member=family.subscriber, scope=AccumulatorScope.FAMILY)
    viewer = family.subscriber.user

    with django_assert_max_num_queries(6):
        dashboard = find_member_dashboard(viewer=viewer, today=today)
        for claim in dashboard.recent_claims if dashboard else []:  # what the table reads
            _ = claim.member.first_name, claim.drug.name, claim.pharmacy, claim.get_status_display()

    assert dashboard is not None
    assert len(dashboard.recent_claims) == 8
    assert dashboard.shows_family_claims
