"""Granting and revoking family access: every error code and the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.members.domain import compute_latest_adult_birth_date
from rxportal.members.errors import (
    FamilyAccessAlreadyGranted,
    FamilyAccessGrantorIsMinor,
    FamilyAccessNotAllowed,
    FamilyAccessNotGranted,
    FamilyAccessNotInFamily,
)
from rxportal.members.models import FamilyAccessGrant, Member
from rxportal.members.services import grant_family_access, revoke_family_access
from tests.conftest import Family
from tests.factories import MemberFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def spouse(family: Family) -> Member:
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()
    return family.spouse


def _last_event() -> AuditEvent:
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None
    return event


def test_an_adult_dependent_grants_access_to_their_subscriber(
    family: Family, spouse: Member
) -> None:
    grant = grant_family_access(
        grantor=spouse, grantee=family.subscriber, actor=spouse.user, now=clock.now()
    )

    assert grant.is_active
    assert FamilyAccessGrant.objects.get() == grant
    event = _last_event()
    assert event.action == "family_access.granted"
    assert event.outcome == "success"
    assert event.actor == spouse.user
    assert event.subject_type == "members.familyaccessgrant"
    assert event.subject_id == str(grant.public_id)
    assert event.details == {
        "grantor": str(spouse.public_id),
        "grantee": str(family.subscriber.public_id),
    }


def test_revoking_stamps_the_grant_and_is_audited(family: Family, spouse: Member) -> None:
    grant = grant_family_access(grantor=spouse, grantee=family.subscriber, actor=spouse.user)
    when = clock.now() + dt.timedelta(minutes=5)

    revoked = revoke_family_access(
        grantor=spouse, grantee=family.subscriber, actor=spouse.user, now=when
    )

    assert revoked.pk == grant.pk
    assert revoked.revoked_at == when
    assert not FamilyAccessGrant.objects.filter(revoked_at__isnull=True).exists()
    event = _last_event()
    assert (event.action, event.outcome, event.subject_id) == (
        "family_access.revoked",
        "success",
        str(grant.public_id),
    )


def test_granting_again_after_revoking_adds_a_new_row(family: Family, spouse: Member) -> None:
    first = grant_family_access(grantor=spouse, grantee=family.subscriber, actor=spouse.user)
    revoke_family_access(grantor=spouse, grantee=family.subscriber, actor=spouse.user)

    second = grant_family_access(grantor=spouse, grantee=family.subscriber, actor=spouse.user)

    assert second.pk != first.pk
    assert FamilyAccessGrant.objects.count() == 2


def _refusal_cases(family: Family, spouse: Member) -> dict[str, tuple[dict, type, str, str]]:
    minor = family.minor_child
    minor.user = UserFactory(username="minor")
    minor.save()
    other_subscriber = MemberFactory()
    return {
        # name: (kwargs, error, code, outcome)
        "anonymous": (
            {"grantor": spouse, "grantee": family.subscriber, "actor": AnonymousUser()},
            FamilyAccessNotAllowed,
            "family_access.not_allowed",
            "denied",
        ),
        "the subscriber for the dependent": (
            {"grantor": spouse, "grantee": family.subscriber, "actor": family.subscriber.user},
            FamilyAccessNotAllowed,
            "family_access.not_allowed",
            "denied",
        ),
        "a dependent without an account": (
            {
                "grantor": family.adult_child,
                "grantee": family.subscriber,
                "actor": spouse.user,
            },
            FamilyAccessNotAllowed,
            "family_access.not_allowed",
            "denied",
        ),
        "to another family's subscriber": (
            {"grantor": spouse, "grantee": other_subscriber, "actor": spouse.user},
            FamilyAccessNotInFamily,
            "family_access.not_in_family",
            "failure",
        ),
        "a subscriber granting": (
            {"grantor": family.subscriber, "grantee": spouse, "actor": family.subscriber.user},
            FamilyAccessNotInFamily,
            "family_access.not_in_family",
            "failure",
        ),
        "a minor": (
            {"grantor": minor, "grantee": family.subscriber, "actor": minor.user},
            FamilyAccessGrantorIsMinor,
            "family_access.grantor_is_minor",
            "failure",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "anonymous",
        "the subscriber for the dependent",
        "a dependent without an account",
        "to another family's subscriber",
        "a subscriber granting",
        "a minor",
    ],
)
def test_grant_refusals_have_codes_and_are_audited(
    family: Family, spouse: Member, case: str
) -> None:
    kwargs, error, code, outcome = _refusal_cases(family, spouse)[case]

    with pytest.raises(error) as raised:
        grant_family_access(**kwargs)

    assert raised.value.code == code
    assert not FamilyAccessGrant.objects.exists()
    event = _last_event()
    assert event.action == "family_access.granted"
    assert event.outcome == outcome
    assert event.details["error_code"] == code
    assert event.subject_id == str(kwargs["grantor"].public_id)


def test_a_dependent_turning_18_today_may_grant(family: Family) -> None:
    child = family.minor_child
    child.date_of_birth = compute_latest_adult_birth_date(clock.today())
    child.user = UserFactory(username="eighteen")
    child.save()

    grant = grant_family_access(grantor=child, grantee=family.subscriber, actor=child.user)

    assert grant.is_active


def test_granting_twice_is_refused_with_already_granted(family: Family, spouse: Member) -> None:
    grant_family_access(grantor=spouse, grantee=family.subscriber, actor=spouse.user)

    with pytest.raises(FamilyAccessAlreadyGranted) as raised:
        grant_family_access(grantor=spouse, grantee=family.subscriber, actor=spouse.user)

    assert raised.value.code == "family_access.already_granted"
    assert FamilyAccessGrant.objects.count() == 1
    assert _last_event().details["error_code"] == "family_access.already_granted"


def test_the_database_allows_one_active_grant_per_pair(family: Family) -> None:
    FamilyAccessGrantFactory(grantor=family.spouse)

    with pytest.raises(IntegrityError), transaction.atomic():
        FamilyAccessGrantFactory(grantor=family.spouse)


def test_the_database_refuses_a_grant_to_oneself(family: Family) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        FamilyAccessGrantFactory(grantor=family.spouse, grantee=family.spouse)


def test_revoking_without_a_grant_is_refused_with_not_granted(
    family: Family, spouse: Member
) -> None:
    with pytest.raises(FamilyAccessNotGranted) as raised:
        revoke_family_access(grantor=spouse, grantee=family.subscriber, actor=spouse.user)

    assert raised.value.code == "family_access.not_granted"
    event = _last_event()
    assert (event.action, event.outcome) == ("family_access.revoked", "failure")
    assert event.details["error_code"] == "family_access.not_granted"


def test_only_the_grantor_may_revoke(family: Family, spouse: Member) -> None:
    FamilyAccessGrantFactory(grantor=spouse)

    with pytest.raises(FamilyAccessNotAllowed):
        revoke_family_access(
            grantor=spouse, grantee=family.subscriber, actor=family.subscriber.user
        )

    assert FamilyAccessGrant.objects.get().is_active
    assert _last_event().outcome == "denied"


def test_revoking_for_another_family_is_refused(family: Family, spouse: Member) -> None:
    with pytest.raises(FamilyAccessNotInFamily):
        revoke_family_access(grantor=spouse, grantee=MemberFactory(), actor=spouse.user)
