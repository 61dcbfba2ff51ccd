"""The eligibility lookup's read: only the client's own plans' members, with coverage,
dependents and accumulators, every view recorded; another client's member is not found."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from rxportal.audit.models import AuditEvent
from rxportal.members.models import Member, Relationship
from rxportal.sponsor_tools.selectors import EligibilitySearch, list_eligibility
from tests.factories import MemberFactory, PlanFactory
from tests.sponsor_tools.conftest import Scene

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 5, 1)


def look_up(scene: Scene, **search: object) -> list:
    return list_eligibility(
        viewer=scene.owner,
        grant=scene.eligibility,
        search=EligibilitySearch(**search),  # type: ignore[arg-type]
        today=TODAY,
    )


def test_a_card_number_finds_the_subscriber_with_dependents_and_accumulators(
    scene: Scene,
) -> None:
    [record] = look_up(scene, member_card=" acm-0000 0042 ")

    assert record.member == scene.subscriber
    assert record.covered_today
    assert record.dependents == [scene.spouse, scene.child]
    summary = record.accumulators
    assert summary.plan_year == 2026
    assert (summary.individual_deductible.used, summary.individual_deductible.left) == (
        D("100.00"),
        D("150.00"),
    )
    assert (summary.individual_oop.used, summary.individual_oop.left) == (D("400.00"), D("2600.00"))
    assert summary.family_deductible is not None and summary.family_deductible.used == D("150.00")
    assert summary.family_oop is not None and summary.family_oop.left == D("5100.00")


def test_the_person_code_on_the_end_finds_that_dependent(scene: Scene) -> None:
    [record] = look_up(scene, member_card="ACM0000004203")

    assert record.member == scene.child
    assert record.subscriber == scene.subscriber
    assert record.dependents == []
    assert not record.covered_today  # coverage ended on 31 March
    # A dependent shares the family's limits: the family row is the subscriber's.
    assert record.accumulators.family_oop is not None
    assert record.accumulators.family_oop.used == D("900.00")


def test_name_and_birthday_ignore_case_and_accents_but_match_whole_names(scene: Scene) -> None:
    [record] = look_up(
        scene, last_name="nunez", first_name="JOSE", date_of_birth=dt.date(1980, 6, 15)
    )
    assert record.member == scene.subscriber

    assert (
        look_up(scene, last_name="Nu", first_name="Jose", date_of_birth=dt.date(1980, 6, 15)) == []
    )
    assert (
        look_up(scene, last_name="Nunez", first_name="Jose", date_of_birth=dt.date(1980, 6, 16))
        == []
    )


def test_another_clients_member_is_not_found_like_no_member_at_all(scene: Scene) -> None:
    assert look_up(scene, member_card="GLX00000042") == []
    assert look_up(scene, member_card="NOPE0000001") == []
    # Same name and birthday at Globex: only Acme's member comes back.
    found = look_up(scene, last_name="Núñez", first_name="José", date_of_birth=dt.date(1980, 6, 15))
    assert [r.member for r in found] == [scene.subscriber]


def test_every_member_shown_is_recorded_with_client_grant_and_dependents(scene: Scene) -> None:
    look_up(scene, member_card="ACM00000042")

    [event] = AuditEvent.objects.filter(action="phi.sponsor.eligibility.viewed")
    assert event.actor == scene.owner
    assert event.subject_type == "members.member"
    assert event.subject_id == str(scene.subscriber.public_id)
    assert event.details == {
        "edge": "web",
        "client": str(scene.acme.public_id),
        "grant": str(scene.eligibility.public_id),
        "subscriber": None,
        "dependents": [str(scene.spouse.public_id), str(scene.child.public_id)],
    }


def test_a_dependent_shown_records_the_subscriber_whose_name_is_on_the_page(scene: Scene) -> None:
    look_up(scene, member_card="ACM0000004202")

    [event] = AuditEvent.objects.filter(action="phi.sponsor.eligibility.viewed")
    assert event.subject_id == str(scene.spouse.public_id)
    assert event.details["subscriber"] == str(scene.subscriber.public_id)


def test_family_on_another_clients_plan_is_never_shown(scene: Scene) -> None:
    elsewhere = PlanFactory(client=scene.globex, plan_year=2026)
    Member.objects.filter(pk=scene.child.pk).update(plan=elsewhere)  # the child moved plans
    stranger_dependent = MemberFactory(
        client=scene.globex, plan=elsewhere, member_id="ACM00000042", person_code="04",
        relationship=Relationship.CHILD, subscriber=scene.subscriber,
    )  # fmt: skip

    [record] = look_up(scene, member_card="ACM00000042")
    assert record.dependents == [scene.spouse]
    assert stranger_dependent not in record.dependents

    Member.objects.filter(pk=scene.subscriber.pk).update(plan=elsewhere)
    [record] = look_up(scene, member_card="ACM0000004202")
    assert record.member == scene.spouse and record.subscriber is None


def test_a_search_that_finds_no_one_is_recorded_without_what_was_typed(scene: Scene) -> None:
    look_up(scene, member_card="GLX00000042")

    [event] = AuditEvent.objects.filter(action="phi.sponsor.eligibility.not_found")
    assert event.subject_id == str(scene.eligibility.public_id)
    assert "GLX" not in str(event.details)
    assert not AuditEvent.objects.filter(action="phi.sponsor.eligibility.viewed").exists()


def test_someone_elses_or_another_tools_grant_is_refused(scene: Scene) -> None:
    with pytest.raises(PermissionError):
        list_eligibility(
            viewer=scene.owner,
            grant=scene.reports,
            search=EligibilitySearch(member_card="ACM00000042"),
            today=TODAY,
        )
    with pytest.raises(PermissionError):
        list_eligibility(
            viewer=scene.agent,
            grant=scene.eligibility,
            search=EligibilitySearch(member_card="ACM00000042"),
            today=TODAY,
        )
