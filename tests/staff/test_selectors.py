from __future__ import annotations

import datetime as dt

import pytest

from rxportal.accounts.models import User
from rxportal.accounts.selectors import (
    get_sign_in_status,
    list_users_for_staff,
    mask_email,
    mask_username,
)
from rxportal.members.models import Member
from rxportal.members.selectors import (
    list_members_by_identity,
    normalize_member_id,
    normalize_zip5,
)
from tests.factories import DependentFactory, MemberFactory
from tests.staff.conftest import lock

DOB = dt.date(1980, 6, 15)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("RXP00001234", "RXP00001234"),
        (" rxp-0000 1234 ", "RXP00001234"),
        ("RXP.0000.1234", "RXP00001234"),
        ("ＲＸＰ００００１２３４", "RXP00001234"),  # full-width, as some keyboards type it
    ],
)
def test_member_ids_ignore_case_spacing_and_punctuation(typed: str, expected: str) -> None:
    assert normalize_member_id(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("06103", "06103"),
        ("06103-1234", "06103"),
        ("061031234", "06103"),
        (" 06103 ", "06103"),
        ("0610", None),
        ("061031", None),
        ("", None),
    ],
)
def test_zip_codes_compare_on_five_digits(typed: str, expected: str | None) -> None:
    assert normalize_zip5(typed) == expected


@pytest.mark.parametrize(
    ("member_id", "zip_code"),
    [
        ("RXP00001234", "06103"),
        ("rxp00001234", "06103-4455"),
        ("RXP 0000 1234", "061034455"),
        ("rxp-00001234-01", " 06103 "),
    ],
)
def test_lookup_matches_with_variations(
    member: Member, service_agent: User, member_id: str, zip_code: str
) -> None:
    found = list_members_by_identity(
        viewer=service_agent, member_id=member_id, date_of_birth=DOB, zip_code=zip_code
    )

    assert found == [member]


@pytest.mark.parametrize(
    ("member_id", "dob", "zip_code"),
    [
        ("RXP00001235", DOB, "06103"),
        ("RXP00001234", dt.date(1980, 6, 16), "06103"),
        ("RXP00001234", DOB, "06104"),
    ],
)
def test_lookup_needs_all_three_details(
    member: Member, service_agent: User, member_id: str, dob: dt.date, zip_code: str
) -> None:
    assert (
        list_members_by_identity(
            viewer=service_agent, member_id=member_id, date_of_birth=dob, zip_code=zip_code
        )
        == []
    )


def test_lookup_tells_family_members_apart_by_date_of_birth(
    member: Member, service_agent: User
) -> None:
    child = DependentFactory(subscriber=member, date_of_birth=dt.date(2015, 3, 1))

    found = list_members_by_identity(
        viewer=service_agent,
        member_id=member.member_id,
        date_of_birth=dt.date(2015, 3, 1),
        zip_code=member.zip_code,
    )

    assert found == [child]


def test_lookup_returns_nothing_to_members(member: Member) -> None:
    assert member.user is not None
    assert (
        list_members_by_identity(
            viewer=member.user, member_id=member.member_id, date_of_birth=DOB, zip_code="06103"
        )
        == []
    )


def test_sign_in_status_reports_the_lock(member_account: User) -> None:
    assert not get_sign_in_status(username="jordan.smith").locked

    lock("Jordan.Smith")
    status = get_sign_in_status(username="jordan.smith")

    assert status.locked
    assert status.locked_until is not None
    assert status.consecutive_failures == 5
    assert not status.hard_locked


@pytest.mark.parametrize(
    ("username", "masked"),
    [("jsmith", "j•••••h"), ("ab", "a•••••"), ("a", "a•••••"), ("", "")],
)
def test_usernames_are_masked_to_first_and_last_character(username: str, masked: str) -> None:
    assert mask_username(username) == masked


def test_email_addresses_are_masked() -> None:
    assert mask_email("jsmith@example.org") == "j•••••h@e•••••e.org"


def test_user_search_is_for_the_account_team_only(
    account_agent: User, service_agent: User, member_account: User
) -> None:
    assert list_users_for_staff(viewer=account_agent, query="JORDAN") == [member_account]
    assert list_users_for_staff(viewer=account_agent, query="jordan.smith@ex") == [member_account]
    assert list_users_for_staff(viewer=account_agent, query="j") == []
    assert list_users_for_staff(viewer=service_agent, query="jordan") == []


def test_member_factory_default_is_found_by_its_own_details(service_agent: User) -> None:
    other = MemberFactory()

    found = list_members_by_identity(
        viewer=service_agent,
        member_id=other.member_id.lower(),
        date_of_birth=other.date_of_birth,
        zip_code=other.zip_code + "-0001",
    )

    assert found == [other]
