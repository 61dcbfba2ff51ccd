"""Who sees whose records: ``list_family_members_visible_to`` is the one rule every member page
(claims, prescriptions, orders, ID cards) relies on, so it is tested from every side here."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from rxportal.core import clock
from rxportal.members.access import get_visible_member_or_404
from rxportal.members.domain import compute_latest_adult_birth_date, is_adult
from rxportal.members.models import FamilyAccessGrant, Member
from rxportal.members.selectors import (
    AccessReason,
    get_family_access_overview,
    list_family_members_visible_to,
    list_family_members_visible_to_member,
)
from tests.conftest import Family
from tests.factories import DependentFactory, MemberFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db


def _give_account(member: Member, username: str) -> Member:
    member.user = UserFactory(username=username)
    member.save()
    return member


# --- Domain: the 18th birthday ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "today", "adult"),
    [
        (dt.date(2008, 5, 10), dt.date(2026, 5, 10), True),  # 18th birthday today
        (dt.date(2008, 5, 11), dt.date(2026, 5, 10), False),  # 18th birthday tomorrow
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), False),  # leapling, common year: not yet
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), True),  # ... an adult from 1 March
        (dt.date(2008, 2, 29), dt.date(2024, 2, 29), False),  # 16 on a leap day
        (dt.date(2010, 2, 28), dt.date(2028, 2, 29), True),  # leap-day today, common birth year
        (dt.date(2010, 3, 1), dt.date(2028, 2, 29), False),
        (dt.date(2010, 2, 28), dt.date(2028, 2, 28), True),
    ],
)
def test_is_adult_from_the_18th_birthday(born: dt.date, today: dt.date, adult: bool) -> None:
    assert is_adult(date_of_birth=born, today=today) is adult


def test_the_latest_adult_birth_date_on_29_february_is_the_28th() -> None:
    assert compute_latest_adult_birth_date(dt.date(2028, 2, 29)) == dt.date(2010, 2, 28)
    assert compute_latest_adult_birth_date(dt.date(2024, 2, 29)) == dt.date(2006, 2, 28)


# --- The subscriber's view --------------------------------------------------------------------


def test_subscriber_sees_themself_first_then_minors_only_without_consent(family: Family) -> None:
    assert list_family_members_visible_to(viewer=family.subscriber.user) == [
        family.subscriber,
        family.minor_child,
    ]


def test_an_adult_dependent_who_grants_access_becomes_visible(family: Family) -> None:
    FamilyAccessGrantFactory(grantor=family.adult_child)

    visible = list_family_members_visible_to(viewer=family.subscriber.user)

    assert visible == [family.subscriber, family.minor_child, family.adult_child]


def test_visible_family_is_in_person_code_order(family: Family) -> None:
    FamilyAccessGrantFactory(grantor=family.spouse)
    FamilyAccessGrantFactory(grantor=family.adult_child)

    visible = list_family_members_visible_to(viewer=family.subscriber.user)

    assert visible[0] == family.subscriber
    assert [m.person_code for m in visible[1:]] == sorted(m.person_code for m in visible[1:])
    assert set(visible) == {
        family.subscriber,
        family.spouse,
        family.minor_child,
        family.adult_child,
    }


def test_a_revoked_grant_hides_the_adult_again(family: Family, today: dt.date) -> None:
    FamilyAccessGrantFactory(grantor=family.spouse, revoked_at=clock.now())

    assert family.spouse not in list_family_members_visible_to(viewer=family.subscriber.user)


def test_a_new_grant_after_a_revoked_one_counts(family: Family) -> None:
    FamilyAccessGrantFactory(grantor=family.spouse, revoked_at=clock.now())
    FamilyAccessGrantFactory(grantor=family.spouse)

    assert family.spouse in list_family_members_visible_to(viewer=family.subscriber.user)


@pytest.mark.parametrize(
    ("born", "today", "visible"),
    [
        (dt.date(2008, 5, 11), dt.date(2026, 5, 10), True),  # the day before turning 18
        (dt.date(2008, 5, 10), dt.date(2026, 5, 10), False),  # 18th birthday: needs consent
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), True),  # leapling: still 17 on the 28th
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), False),  # 18 on 1 March
        (dt.date(2010, 3, 1), dt.date(2028, 2, 29), True),
        (dt.date(2010, 2, 28), dt.date(2028, 2, 29), False),
    ],
)
def test_a_child_drops_out_on_their_18th_birthday(
    born: dt.date, today: dt.date, visible: bool
) -> None:
    subscriber = MemberFactory(user=UserFactory())
    child = DependentFactory(subscriber=subscriber, date_of_birth=born)

    seen = list_family_members_visible_to(viewer=subscriber.user, today=today)

    assert (child in seen) is visible


def test_a_child_turning_18_stays_visible_with_consent() -> None:
    subscriber = MemberFactory(user=UserFactory())
    child = DependentFactory(subscriber=subscriber, date_of_birth=dt.date(2008, 5, 10))
    FamilyAccessGrantFactory(grantor=child)

    seen = list_family_members_visible_to(viewer=subscriber.user, today=dt.date(2026, 5, 10))

    assert child in seen


def test_today_defaults_to_the_clock(family: Family) -> None:
    assert list_family_members_visible_to(
        viewer=family.subscriber.user
    ) == list_family_members_visible_to(viewer=family.subscriber.user, today=clock.today())


# --- Never another family ---------------------------------------------------------------------


def test_another_familys_members_are_never_visible_even_with_a_grant(family: Family) -> None:
    stranger = MemberFactory(user=UserFactory())
    stranger_child = DependentFactory(subscriber=stranger)
    stranger_spouse = DependentFactory(subscriber=stranger, spouse=True)
    FamilyAccessGrantFactory(grantor=stranger_spouse)
    # A grant pointing at the wrong subscriber (written around the service) still shows nothing.
    FamilyAccessGrantFactory(grantor=stranger_spouse, grantee=family.subscriber)

    visible = list_family_members_visible_to(viewer=family.subscriber.user)

    assert stranger not in visible
    assert stranger_child not in visible
    assert stranger_spouse not in visible
    assert list_family_members_visible_to(viewer=stranger.user) == [
        stranger,
        stranger_spouse,  # person code 02
        stranger_child,  # 03
    ]


# --- Dependents see only themselves -----------------------------------------------------------


def test_spouse_sees_only_themself(family: Family) -> None:
    _give_account(family.spouse, "spouse")

    assert list_family_members_visible_to(viewer=family.spouse.user) == [family.spouse]


def test_spouse_sees_only_themself_even_when_others_consent(family: Family) -> None:
    _give_account(family.spouse, "spouse")
    FamilyAccessGrantFactory(grantor=family.spouse)
    FamilyAccessGrantFactory(grantor=family.adult_child)

    assert list_family_members_visible_to(viewer=family.spouse.user) == [family.spouse]


def test_a_minor_with_an_account_sees_only_themself(family: Family) -> None:
    _give_account(family.minor_child, "minor")

    assert list_family_members_visible_to(viewer=family.minor_child.user) == [family.minor_child]


@pytest.mark.parametrize("viewer", [AnonymousUser(), None])
def test_nobody_is_visible_to_anonymous_or_non_members(viewer: object) -> None:
    user = viewer if viewer is not None else UserFactory(role="client")

    assert list_family_members_visible_to(viewer=user) == []  # type: ignore[arg-type]


def test_the_visible_family_reads_in_one_query(family: Family, django_assert_num_queries) -> None:
    """The viewer's own record and the dependents they may see come back together."""
    FamilyAccessGrantFactory(grantor=family.spouse)

    with django_assert_num_queries(1):
        visible = list_family_members_visible_to(viewer=family.subscriber.user)
        for member in visible:
            _ = member.plan.name, member.client.name  # fetched with the members

    assert len(visible) == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans")
def test_on_postgresql_the_family_query_looks_up_both_sides_on_their_indexes(
    family: Family,
) -> None:
    """One query for the viewer and the dependents, but never a scan of every member: the
    dependents are found on the subscriber index, the viewer on the user index."""
    with CaptureQueriesContext(connection) as queries:
        list_family_members_visible_to(viewer=family.subscriber.user)
    [query] = queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table: judge the shape
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Cond: (subscriber_id = " in plan
    assert "Index Cond: (user_id = " in plan


def test_the_member_variant_agrees_and_saves_a_query(
    family: Family, today: dt.date, django_assert_num_queries
) -> None:
    FamilyAccessGrantFactory(grantor=family.adult_child)
    expected = list_family_members_visible_to(viewer=family.subscriber.user, today=today)

    with django_assert_num_queries(1):
        visible = list_family_members_visible_to_member(member=family.subscriber, today=today)

    assert visible == expected


# --- The family access overview agrees with the rule ------------------------------------------


def test_overview_explains_each_dependent(family: Family, today: dt.date) -> None:
    grant = FamilyAccessGrantFactory(grantor=family.adult_child)

    overview = get_family_access_overview(viewer=family.subscriber.user, today=today)

    assert overview is not None
    assert overview.is_subscriber
    reasons = {row.member: row.reason for row in overview.dependents}
    assert reasons == {
        family.spouse: AccessReason.NO_CONSENT,
        family.minor_child: AccessReason.MINOR,
        family.adult_child: AccessReason.CONSENT,
    }
    assert next(row.grant for row in overview.dependents if row.grant) == grant
    visible = list_family_members_visible_to(viewer=family.subscriber.user, today=today)
    assert [row.member for row in overview.dependents if row.visible] == visible[1:]


def test_overview_of_an_adult_dependent_offers_to_grant_then_to_revoke(
    family: Family, today: dt.date
) -> None:
    _give_account(family.spouse, "spouse")

    before = get_family_access_overview(viewer=family.spouse.user, today=today)
    FamilyAccessGrantFactory(grantor=family.spouse)
    after = get_family_access_overview(viewer=family.spouse.user, today=today)

    assert before is not None and after is not None
    assert before.subscriber == family.subscriber
    assert before.can_grant and not before.can_revoke
    assert after.can_revoke and not after.can_grant


def test_overview_of_a_minor_offers_nothing(family: Family, today: dt.date) -> None:
    _give_account(family.minor_child, "minor")

    overview = get_family_access_overview(viewer=family.minor_child.user, today=today)

    assert overview is not None
    assert not overview.is_adult
    assert not overview.can_grant and not overview.can_revoke


def test_overview_is_none_for_non_members() -> None:
    assert (
        get_family_access_overview(viewer=UserFactory(role="advisor"), today=clock.today()) is None
    )


# --- get_visible_member_or_404 ----------------------------------------------------------------


def _request(user: object, member: Member | None = None) -> object:
    request = RequestFactory().get("/")
    request.user = user  # type: ignore[attr-defined]
    if member is not None:
        request.member = member  # type: ignore[attr-defined]
    return request


@pytest.mark.parametrize("with_member", [True, False])
def test_get_visible_member_returns_visible_family_and_404s_the_rest(
    family: Family, with_member: bool
) -> None:
    FamilyAccessGrantFactory(grantor=family.spouse)
    request = _request(family.subscriber.user, family.subscriber if with_member else None)

    def get(public_id: object) -> Member:
        return get_visible_member_or_404(request=request, public_id=public_id)  # type: ignore[arg-type]

    assert get(None) == family.subscriber
    assert get("") == family.subscriber
    assert get(family.minor_child.public_id) == family.minor_child
    assert get(str(family.spouse.public_id).upper()) == family.spouse
    for hidden in (family.adult_child.public_id, MemberFactory().public_id, "not-a-uuid"):
        with pytest.raises(Http404):
            get(hidden)


def test_get_visible_member_ignores_a_request_member_of_another_user(family: Family) -> None:
    other = MemberFactory(user=UserFactory())
    request = _request(family.subscriber.user, other)

    with pytest.raises(Http404):
        get_visible_member_or_404(request=request, public_id=other.public_id)  # type: ignore[arg-type]


def test_get_visible_member_404s_for_non_members() -> None:
    request = _request(UserFactory(role="client"))

    with pytest.raises(Http404):
        get_visible_member_or_404(request=request, public_id=None)  # type: ignore[arg-type]


# --- The one-query read agrees with the two reads it replaced ---------------------------------

# Two families with every relationship, age and consent case, accounts on every kind of member:
# each viewer, on each day, sees what the rule (in Python below) and the former two reads
# (their record, then the dependents) say, and nobody of the other family.
COMPARED_DAYS = [
    dt.date(2026, 5, 9),  # the day before Ines turns 18
    dt.date(2026, 5, 10),  # her 18th birthday
    dt.date(2026, 2, 28),  # Leo, born on 29 February, is still 17
    dt.date(2026, 3, 1),  # and 18 from 1 March
    dt.date(2028, 2, 29),  # a leap day
]


def _two_families() -> dict[str, Member]:
    def account(name: str) -> object:
        return UserFactory(username=name)

    people: dict[str, Member] = {}
    for family in ("a", "b"):
        head = MemberFactory(user=account(f"{family}-subscriber"))
        people[f"{family}-subscriber"] = head
        people[f"{family}-spouse-consenting"] = DependentFactory(
            subscriber=head, spouse=True, user=account(f"{family}-spouse-consenting")
        )
        people[f"{family}-adult-revoked"] = DependentFactory(
            subscriber=head, date_of_birth=dt.date(1995, 4, 4)
        )
        people[f"{family}-adult-silent"] = DependentFactory(
            subscriber=head, date_of_birth=dt.date(2000, 1, 1), user=account(f"{family}-adult")
        )
        people[f"{family}-turning-18"] = DependentFactory(
            subscriber=head, date_of_birth=dt.date(2008, 5, 10)
        )
        people[f"{family}-leapling"] = DependentFactory(
            subscriber=head, date_of_birth=dt.date(2008, 2, 29)
        )
        people[f"{family}-minor"] = DependentFactory(
            subscriber=head, date_of_birth=dt.date(2020, 7, 7), user=account(f"{family}-minor")
        )
        FamilyAccessGrantFactory(grantor=people[f"{family}-spouse-consenting"])
        FamilyAccessGrantFactory(grantor=people[f"{family}-adult-revoked"], revoked_at=clock.now())
    # A grant written around the service, to the other family's subscriber: shows nothing.
    FamilyAccessGrantFactory(grantor=people["b-adult-silent"], grantee=people["a-subscriber"])
    # A subscriber without an account, whose adult dependent has one and consents.
    lone = MemberFactory()
    people["c-adult-consenting"] = DependentFactory(
        subscriber=lone, date_of_birth=dt.date(1999, 9, 9), user=account("c-adult")
    )
    FamilyAccessGrantFactory(grantor=people["c-adult-consenting"])
    return people


def _by_the_rule(member: Member, today: dt.date) -> list[Member]:
    if member.subscriber_id is not None:
        return [member]
    consenting = set(
        FamilyAccessGrant.objects.filter(grantee=member, revoked_at__isnull=True).values_list(
            "grantor_id", flat=True
        )
    )
    dependents = [
        dependent
        for dependent in Member.objects.filter(subscriber=member)
        if not is_adult(date_of_birth=dependent.date_of_birth, today=today)
        or dependent.pk in consenting
    ]
    return [member, *sorted(dependents, key=lambda row: (row.person_code, row.pk))]


@pytest.mark.parametrize("today", COMPARED_DAYS, ids=str)
def test_the_one_query_read_agrees_with_the_rule_and_the_two_reads(today: dt.date) -> None:
    people = _two_families()
    viewers = [member.user for member in people.values() if member.user is not None]
    viewers.append(UserFactory(role="client"))

    for viewer in viewers:
        own = Member.objects.filter(user=viewer).first()
        one_query = list_family_members_visible_to(viewer=viewer, today=today)
        two_reads = (
            [] if own is None else list_family_members_visible_to_member(member=own, today=today)
        )
        expected = [] if own is None else _by_the_rule(own, today)
        assert one_query == two_reads == expected, viewer.username
        if own is not None:
            assert {member.subscriber_id or member.pk for member in one_query} == {
                own.subscriber_id or own.pk
            }
