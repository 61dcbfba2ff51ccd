"""Claims-history selectors: who is visible, filters, sorting, keyset pages, totals, statement."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

import pytest
from django.db.models.functions import Lower

from rxportal.claims import selectors
from rxportal.claims.domain import (
    ClaimQuery,
    ClaimSort,
    Period,
    SortOrder,
    StatusFilter,
    compute_plan_year_period,
    is_counted_in_totals,
)
from rxportal.claims.errors import InvalidCursor, UnknownPerson
from rxportal.claims.models import Claim
from rxportal.claims.selectors import (
    ClaimScope,
    find_claim,
    find_claim_scope,
    get_claim_history_page,
    get_claim_statement,
    get_claim_summary,
    iter_claims_for_export,
)
from rxportal.members.selectors import list_family_members_visible_to
from tests.claims.conftest import ClaimsWorld, make_reversed_pair
from tests.conftest import Family
from tests.factories import ClaimFactory, DrugFactory, MemberFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory

D = Decimal
pytestmark = pytest.mark.django_db


def _year(plan_year: int, **kwargs: object) -> ClaimQuery:
    return ClaimQuery(period=compute_plan_year_period(plan_year), **kwargs)  # type: ignore[arg-type]


def _all_ids(scope: ClaimScope, query: ClaimQuery) -> set[int]:
    return {claim.pk for claim in iter_claims_for_export(scope=scope, query=query)}


# --- Who is visible ---------------------------------------------------------------------------


def test_scope_is_the_viewer_then_the_family_members_they_may_see(
    family: Family, scope: ClaimScope
) -> None:
    assert scope.member == family.subscriber
    assert list(scope.people) == [family.subscriber, family.minor_child]
    assert scope.shows_family


def test_non_members_have_no_scope(db: None, today: dt.date) -> None:
    assert find_claim_scope(viewer=UserFactory(role="client"), today=today) is None


def test_the_subscriber_sees_their_own_and_their_minor_childs_claims_only(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int
) -> None:
    ids = _all_ids(scope, _year(plan_year))

    expected = {c.pk for c in world.paid} | {
        world.reversed_original.pk,
        world.reversal.pk,
        world.rejected.pk,
    }
    assert ids == expected
    assert not ids & {c.pk for c in world.hidden}


def test_a_dependent_sees_only_their_own_claims(
    world: ClaimsWorld, today: dt.date, plan_year: int
) -> None:
    spouse = world.family.spouse
    spouse.user = UserFactory(username="spouse")
    spouse.save()

    scope = find_claim_scope(viewer=spouse.user, today=today)

    assert scope is not None
    assert _all_ids(scope, _year(plan_year)) == {world.hidden[0].pk}


def test_adult_dependents_appear_once_they_grant_access(
    world: ClaimsWorld, today: dt.date, plan_year: int
) -> None:
    FamilyAccessGrantFactory(grantor=world.family.adult_child)

    scope = find_claim_scope(viewer=world.family.subscriber.user, today=today)

    assert scope is not None
    assert world.family.adult_child in scope.people
    ids = _all_ids(scope, _year(plan_year))
    assert world.hidden[1].pk in ids
    assert world.hidden[0].pk not in ids  # the spouse has not consented
    assert world.hidden[2].pk not in ids  # another family, never


def test_the_people_come_only_from_list_family_members_visible_to(
    world: ClaimsWorld, today: dt.date, plan_year: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def only_the_viewer(**kwargs: object) -> list:
        calls.append(kwargs)
        return list_family_members_visible_to(**kwargs)[:1]  # type: ignore[arg-type]

    monkeypatch.setattr(selectors, "list_family_members_visible_to", only_the_viewer)

    scope = find_claim_scope(viewer=world.family.subscriber.user, today=today)

    assert calls == [{"viewer": world.family.subscriber.user, "today": today}]
    assert scope is not None
    assert {c.member_id for c in iter_claims_for_export(scope=scope, query=_year(plan_year))} == {
        world.family.subscriber.pk
    }


def test_an_unknown_person_is_refused(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int
) -> None:
    for person in (str(world.family.spouse.public_id), str(world.stranger.public_id), "nobody"):
        with pytest.raises(UnknownPerson) as error:
            get_claim_history_page(scope=scope, query=_year(plan_year, person=person))
        assert error.value.code == "claims.unknown_person"


def test_find_claim_returns_visible_claims_only(world: ClaimsWorld, today: dt.date) -> None:
    viewer = world.family.subscriber.user

    found = find_claim(viewer=viewer, public_id=world.paid[2].public_id, today=today)

    assert found == world.paid[2]
    for claim in world.hidden:
        assert find_claim(viewer=viewer, public_id=claim.public_id, today=today) is None
    assert find_claim(viewer=UserFactory(), public_id=world.paid[0].public_id, today=today) is None


def test_find_claim_brings_the_reversal_and_the_original(
    world: ClaimsWorld, today: dt.date
) -> None:
    viewer = world.family.subscriber.user

    original = find_claim(viewer=viewer, public_id=world.reversed_original.public_id, today=today)
    reversal = find_claim(viewer=viewer, public_id=world.reversal.public_id, today=today)

    assert original is not None and reversal is not None
    assert original.reversal == world.reversal
    assert reversal.reverses == world.reversed_original


# --- Filters ----------------------------------------------------------------------------------


def test_filters_by_person(world: ClaimsWorld, scope: ClaimScope, plan_year: int) -> None:
    child = world.family.minor_child

    ids = _all_ids(scope, _year(plan_year, person=str(child.public_id)))

    assert ids == {world.paid[2].pk, world.rejected.pk}


def test_filters_by_dates_inclusive(world: ClaimsWorld, scope: ClaimScope, plan_year: int) -> None:
    query = ClaimQuery(period=Period(dt.date(plan_year, 2, 10), dt.date(plan_year, 3, 2)))

    ids = _all_ids(scope, query)

    assert ids == {
        world.reversed_original.pk,
        world.reversal.pk,
        world.rejected.pk,
        world.paid[1].pk,
    }


def test_filters_by_drug_name_case_insensitively_or_by_drug_id(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int
) -> None:
    by_text = _all_ids(scope, _year(plan_year, drug="ATORVA"))
    by_id = _all_ids(scope, _year(plan_year, drug=str(world.drugs[0].public_id)))

    assert by_text == by_id == {world.paid[0].pk, world.rejected.pk}
    assert _all_ids(scope, _year(plan_year, drug="no such drug")) == set()


def test_filters_by_pharmacy_and_status(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int
) -> None:
    assert _all_ids(scope, _year(plan_year, pharmacy="harbor", status=StatusFilter.PAID)) == {
        world.paid[1].pk
    }
    assert _all_ids(scope, _year(plan_year, status=StatusFilter.REJECTED)) == {world.rejected.pk}
    assert _all_ids(scope, _year(plan_year, status=StatusFilter.REVERSED)) == {
        world.reversed_original.pk,
        world.reversal.pk,
    }


# --- Sorting and keyset pages -----------------------------------------------------------------


@pytest.fixture
def many_claims(family: Family, plan_year: int) -> list[Claim]:
    """47 claims with many ties: 6 dates, 3 drugs, 4 amounts, over two people."""
    rng = random.Random(4)
    drugs = [DrugFactory(name=name) for name in ("Zolpidem", "Metformin", "metformin ER")]
    claims = []
    for index in range(47):
        member_paid = rng.choice([D("0.00"), D("5.00"), D("12.34"), D("40.00")])
        claims.append(
            ClaimFactory(
                member=rng.choice([family.subscriber, family.minor_child]),
                drug=rng.choice(drugs),
                service_date=dt.date(plan_year, 1 + index % 6, 1 + rng.choice([0, 14])),
                member_paid=member_paid,
                plan_paid=rng.choice([D("1.00"), D("99.99")]),
                oop_applied=member_paid,
            )
        )
    return claims


_ORDER_KEYS = {
    ClaimSort.DATE: ["service_date", "id"],
    ClaimSort.DRUG: ["drug_sort", "service_date", "id"],
    ClaimSort.YOU_PAID: ["member_paid", "service_date", "id"],
    ClaimSort.PLAN_PAID: ["plan_paid", "service_date", "id"],
}


@pytest.mark.parametrize(
    ("sort", "order"), list(itertools.product(list(ClaimSort), list(SortOrder)))
)
def test_keyset_pages_cover_every_claim_once_in_order_both_ways(
    many_claims: list[Claim],
    scope: ClaimScope,
    plan_year: int,
    sort: ClaimSort,
    order: SortOrder,
) -> None:
    query = _year(plan_year, sort=sort, order=order)
    prefix = "-" if order == SortOrder.DESCENDING else ""
    expected = list(
        Claim.objects.filter(pk__in=[c.pk for c in many_claims])
        .annotate(drug_sort=Lower("drug__name"))
        .order_by(*[prefix + key for key in _ORDER_KEYS[sort]])
        .values_list("pk", flat=True)
    )

    forwards: list[list[int]] = []
    page = get_claim_history_page(scope=scope, query=query, page_size=10)
    assert not page.has_previous
    while True:
        forwards.append([c.pk for c in page.claims])
        if not page.has_next:
            break
        assert page.last is not None
        page = get_claim_history_page(
            scope=scope, query=query, after=page.last.public_id, page_size=10
        )
        assert page.has_previous

    assert [pk for chunk in forwards for pk in chunk] == expected
    assert [len(chunk) for chunk in forwards] == [10, 10, 10, 10, 7]

    backwards: list[list[int]] = [forwards[-1]]
    while page.has_previous:
        assert page.first is not None
        page = get_claim_history_page(
            scope=scope, query=query, before=page.first.public_id, page_size=10
        )
        assert page.has_next
        backwards.insert(0, [c.pk for c in page.claims])
    assert backwards == forwards


def test_default_order_is_newest_first(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int
) -> None:
    page = get_claim_history_page(scope=scope, query=_year(plan_year))

    dates = [claim.service_date for claim in page.claims]
    assert dates == sorted(dates, reverse=True)
    assert not page.has_previous and not page.has_next


def test_going_back_to_a_short_first_page_shows_the_whole_first_page(
    many_claims: list[Claim], scope: ClaimScope, plan_year: int
) -> None:
    query = _year(plan_year)
    first = get_claim_history_page(scope=scope, query=query, page_size=10)
    third_row = first.claims[2]

    page = get_claim_history_page(
        scope=scope, query=query, before=third_row.public_id, page_size=10
    )

    assert [c.pk for c in page.claims] == [c.pk for c in first.claims]
    assert not page.has_previous


def test_a_cursor_outside_the_filtered_claims_is_refused(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int
) -> None:
    query = _year(plan_year, person=str(world.family.subscriber.public_id))
    outsiders = [*world.hidden, world.paid[2]]  # other people, and the child (filtered out)

    for claim in outsiders:
        with pytest.raises(InvalidCursor):
            get_claim_history_page(scope=scope, query=query, after=claim.public_id)
        with pytest.raises(InvalidCursor):
            get_claim_history_page(scope=scope, query=query, before=claim.public_id)


def test_a_page_takes_a_fixed_number_of_queries(
    many_claims: list[Claim], scope: ClaimScope, plan_year: int, django_assert_num_queries
) -> None:
    query = _year(plan_year, sort=ClaimSort.DRUG)
    with django_assert_num_queries(1):
        page = get_claim_history_page(scope=scope, query=query)
        for claim in page.claims:  # related rows are joined, not fetched one by one
            _ = (claim.member.first_name, claim.drug.name, claim.pharmacy, claim.reverses)
    with django_assert_num_queries(2):
        get_claim_history_page(scope=scope, query=query, after=page.claims[-1].public_id)


# --- Totals, chart and statement --------------------------------------------------------------


def test_totals_are_the_sums_of_paid_claims_only(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int, today: dt.date, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        summary = get_claim_summary(scope=scope, query=_year(plan_year), today=today)

    assert summary.you_paid == sum(c.member_paid for c in world.paid) == D("40.50")
    assert summary.plan_paid == sum(c.plan_paid for c in world.paid) == D("152.25")
    assert summary.paid_count == 3
    assert summary.claim_count == 6
    assert summary.not_counted == 3


def test_totals_follow_the_filters(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int, today: dt.date
) -> None:
    summary = get_claim_summary(scope=scope, query=_year(plan_year, drug="lisinopril"), today=today)

    assert summary.you_paid == D("25.50")
    assert summary.claim_count == 3  # the paid fill, the reversed one and its reversal


def test_a_reversal_never_counts_even_if_marked_paid(
    family: Family, scope: ClaimScope, plan_year: int, today: dt.date
) -> None:
    original, _reversal = make_reversed_pair(
        member=family.subscriber, service_date=dt.date(plan_year, 5, 5)
    )
    ClaimFactory(member=family.subscriber, reverses=None, service_date=dt.date(plan_year, 5, 6))
    odd = ClaimFactory(member=family.subscriber, service_date=dt.date(plan_year, 5, 7))
    odd_reversal = ClaimFactory(
        member=family.subscriber, reverses=odd, service_date=odd.service_date
    )  # status paid

    summary = get_claim_summary(scope=scope, query=_year(plan_year), today=today)

    counted = [
        c
        for c in Claim.objects.filter(member=family.subscriber)
        if is_counted_in_totals(status=c.status, is_reversal=c.reverses_id is not None)
    ]
    assert odd_reversal not in counted and original not in counted
    assert summary.you_paid == sum(c.member_paid for c in counted)
    assert summary.paid_count == len(counted) == 2


def test_months_run_through_the_period_with_zeros(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int
) -> None:
    query = ClaimQuery(period=Period(dt.date(plan_year, 1, 1), dt.date(plan_year, 4, 30)))

    summary = get_claim_summary(scope=scope, query=query, today=dt.date(plan_year, 12, 31))

    assert [m.month.month for m in summary.months] == [1, 2, 3, 4]
    assert [m.you_paid for m in summary.months] == [D("10.00"), D("0.00"), D("30.50"), D("0.00")]
    assert sum(m.plan_paid for m in summary.months) == summary.plan_paid


def test_the_chart_stops_at_today_within_the_plan_year(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int
) -> None:
    summary = get_claim_summary(scope=scope, query=_year(plan_year), today=dt.date(plan_year, 2, 5))

    assert [m.month.month for m in summary.months] == [1, 2, 3]  # March has claims already


def test_statement_lists_paid_claims_oldest_first_with_totals(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int, today: dt.date
) -> None:
    statement = get_claim_statement(
        scope=scope, query=_year(plan_year, status=StatusFilter.REJECTED), today=today
    )

    assert [line.claim_number for line in statement.lines] == [c.claim_number for c in world.paid]
    assert statement.you_paid == D("40.50")
    assert statement.plan_paid == D("152.25")
    assert statement.member_name == world.family.subscriber.full_name
    assert statement.member_id.endswith("-01")
    assert statement.people == [
        world.family.subscriber.full_name,
        world.family.minor_child.full_name,
    ]
    assert statement.generated_on == today


def test_statement_for_one_person(
    world: ClaimsWorld, scope: ClaimScope, plan_year: int, today: dt.date
) -> None:
    child = world.family.minor_child

    statement = get_claim_statement(
        scope=scope, query=_year(plan_year, person=str(child.public_id)), today=today
    )

    assert [line.claim_number for line in statement.lines] == [world.paid[2].claim_number]
    assert statement.people == [child.full_name]


def test_summary_of_another_family_is_never_mixed_in(
    db: None, plan_year: int, today: dt.date, family: Family
) -> None:
    other = MemberFactory(user=UserFactory())
    ClaimFactory(member=other, service_date=dt.date(plan_year, 1, 2), member_paid=D("999.00"))
    scope = find_claim_scope(viewer=family.subscriber.user, today=today)
    assert scope is not None

    summary = get_claim_summary(scope=scope, query=_year(plan_year), today=today)

    assert summary.claim_count == 0
    assert summary.you_paid == D("0")
