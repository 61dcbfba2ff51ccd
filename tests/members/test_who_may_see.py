"""``list_users_who_may_see``: the one access rule seen from the record's side (whom
to tell about a member's record)."""

from __future__ import annotations

import datetime as dt

import pytest

from rxportal.core import clock
from rxportal.members.selectors import list_users_who_may_see, list_viewers_of_members
from tests.conftest import Family
from tests.factories import UserFactory
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db


def test_a_subscriber_is_told_about_themselves(family: Family, today: dt.date) -> None:
    assert list_users_who_may_see(member=family.subscriber, today=today) == [family.subscriber.user]


def test_a_minor_childs_record_reaches_the_subscriber(family: Family, today: dt.date) -> None:
    assert list_users_who_may_see(member=family.minor_child, today=today) == [
        family.subscriber.user
    ]


def test_an_adult_dependent_is_told_and_the_subscriber_only_with_their_grant(
    family: Family, today: dt.date
) -> None:
    family.adult_child.user = UserFactory()
    family.adult_child.save()

    assert list_users_who_may_see(member=family.adult_child, today=today) == [
        family.adult_child.user
    ]

    grant = FamilyAccessGrantFactory(grantor=family.adult_child, grantee=family.subscriber)
    assert list_users_who_may_see(member=family.adult_child, today=today) == [
        family.adult_child.user,
        family.subscriber.user,
    ]

    grant.revoked_at = clock.now()
    grant.save()
    assert list_users_who_may_see(member=family.adult_child, today=today) == [
        family.adult_child.user
    ]


def test_nobody_without_an_account_is_listed(family: Family, today: dt.date) -> None:
    assert list_users_who_may_see(member=family.spouse, today=today) == []


def test_a_deactivated_account_is_nobody_to_tell_in_bulk_as_one_by_one(
    family: Family, today: dt.date
) -> None:
    """``list_viewers_of_members`` (the refill reminders' reading of the rule) leaves out a
    deactivated account, as ``list_users_who_may_see`` does: nobody signs in to it to read."""
    family.minor_child.user = UserFactory(username="lucia", is_active=False)
    family.minor_child.save()
    subscriber_user = family.subscriber.user
    assert subscriber_user is not None

    viewers = list_viewers_of_members(member_ids=[family.minor_child.pk], today=today)
    assert [v.user for v in viewers[family.minor_child.pk]] == [subscriber_user]

    subscriber_user.is_active = False
    subscriber_user.save(update_fields=["is_active"])
    viewers = list_viewers_of_members(
        member_ids=[family.minor_child.pk, family.subscriber.pk], today=today
    )
    assert viewers == {}
    assert list_users_who_may_see(member=family.minor_child, today=today) == []
