"""Account-team and service-center services: rules, error codes, audit entries, notices."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import RequestFactory

from rxportal.accounts.models import LoginThrottle, User
from rxportal.accounts.selectors import get_sign_in_status
from rxportal.audit.models import Outcome
from rxportal.audit.services import username_digest
from rxportal.core.errors import DomainError, ValidationFailed
from rxportal.members.models import Member
from rxportal.notifications.services import _schedule_delivery
from rxportal.staff import errors
from rxportal.staff.services.emails import change_email
from rxportal.staff.services.unlock import unlock_account
from rxportal.staff.services.usernames import change_username, send_username_reminder
from tests.factories import MemberFactory
from tests.staff.conftest import USER_AGENT, events, lock, make_user

REASON = "Caller verified by phone, ticket 4411"


@pytest.fixture
def request_() -> Any:
    return RequestFactory().post("/staff/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT=USER_AGENT)


# --- change_username ---------------------------------------------------------------------------


def test_account_team_changes_a_username(
    account_agent: User,
    member_account: User,
    request_: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        change_username(
            user=member_account,
            new_username="  Jordan.S ",
            actor=account_agent,
            reason=REASON,
            request=request_,
        )

    member_account.refresh_from_db()
    assert member_account.username == "jordan.s"
    [event] = events("staff.username.changed")
    assert event.outcome == Outcome.SUCCESS
    assert event.actor == account_agent
    assert event.actor_role == "account_team"
    assert event.reason == REASON
    assert event.ip_address == "198.51.100.4"
    assert event.user_agent == USER_AGENT
    assert event.subject_id == str(member_account.public_id)
    assert event.details["old_username_digest"] == username_digest("jordan.smith")
    assert event.details["new_username_digest"] == username_digest("jordan.s")
    assert "jordan" not in str(event.details)
    [notice] = mail.outbox
    assert notice.to == ["jordan.smith@example.org"]
    assert "jordan.s" in notice.body


def test_username_change_is_sent_only_after_commit(
    account_agent: User, member_account: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change_username(
            user=member_account, new_username="jordan.s", actor=account_agent, reason=REASON
        )

    assert mail.outbox == []
    deliveries = [c for c in callbacks if getattr(c, "func", None) is _schedule_delivery]
    assert len(deliveries) == 2  # the email and the inbox note, each delivered after commit
    for deliver in callbacks:
        deliver()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("taken", ["Jordan.Taken", "JORDAN.TAKEN", "jordan.taken"])
def test_usernames_are_unique_in_any_case(
    account_agent: User, member_account: User, taken: str
) -> None:
    make_user("Jordan.Taken", "member")

    with pytest.raises(errors.UsernameTaken) as caught:
        change_username(user=member_account, new_username=taken, actor=account_agent, reason=REASON)

    assert caught.value.code == "staff.username.taken"
    member_account.refresh_from_db()
    assert member_account.username == "jordan.smith"
    [event] = events("staff.username.changed")
    assert event.outcome == Outcome.FAILURE
    assert event.details == {"error_code": "staff.username.taken"}
    assert event.reason == REASON


@pytest.mark.parametrize(
    ("new_username", "error"),
    [
        ("", errors.InvalidUsername),
        ("   ", errors.InvalidUsername),
        ("has space", errors.InvalidUsername),
        ("nul\x00byte", errors.InvalidUsername),
        ("emoji😀", errors.InvalidUsername),
        ("x" * 151, errors.InvalidUsername),
        ("JORDAN.SMITH", errors.UsernameUnchanged),
    ],
)
def test_bad_usernames_are_refused(
    account_agent: User, member_account: User, new_username: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        change_username(
            user=member_account, new_username=new_username, actor=account_agent, reason=REASON
        )

    member_account.refresh_from_db()
    assert member_account.username == "jordan.smith"


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("", "staff.reason.required"),
        ("   \n", "staff.reason.required"),
        ("x" * 501, "staff.reason.too_long"),
        ("bad\x00reason", "staff.reason.invalid"),
        ("bad\x1breason", "staff.reason.invalid"),
        ("\u202eevil\u202c", "staff.reason.invalid"),
    ],
)
def test_a_reason_is_required(
    account_agent: User, member_account: User, reason: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        change_username(
            user=member_account, new_username="jordan.s", actor=account_agent, reason=reason
        )

    assert caught.value.code == code
    [event] = events("staff.username.changed")
    assert event.outcome == Outcome.FAILURE
    assert event.details == {"error_code": code}


@pytest.mark.parametrize("role", ["service_center", "member", "client", "advisor"])
def test_only_the_account_team_changes_usernames(member_account: User, role: str) -> None:
    actor = make_user(f"someone.{role}", role)

    with pytest.raises(errors.StaffForbidden) as caught:
        change_username(user=member_account, new_username="jordan.s", actor=actor, reason=REASON)

    assert caught.value.code == "staff.forbidden"
    [event] = events("staff.username.changed")
    assert event.outcome == Outcome.DENIED


def test_staff_cannot_change_their_own_username(account_agent: User) -> None:
    with pytest.raises(errors.StaffForbidden):
        change_username(
            user=account_agent, new_username="avery.new", actor=account_agent, reason=REASON
        )


def test_only_an_admin_changes_a_staff_account(
    account_agent: User, admin_user: User, service_agent: User
) -> None:
    with pytest.raises(errors.StaffForbidden):
        change_email(
            user=admin_user, new_email="mine@example.org", actor=account_agent, reason=REASON
        )

    change_username(user=service_agent, new_username="sam.s", actor=admin_user, reason=REASON)
    service_agent.refresh_from_db()
    assert service_agent.username == "sam.s"


def test_a_new_username_starts_with_no_lock_from_earlier_tries(
    account_agent: User, member_account: User
) -> None:
    lock("jordan.s")

    change_username(
        user=member_account, new_username="jordan.s", actor=account_agent, reason=REASON
    )

    assert not get_sign_in_status(username="jordan.s").has_failures


# --- change_email ------------------------------------------------------------------------------


def test_email_change_notifies_both_addresses(
    account_agent: User, member_account: User, django_capture_on_commit_callbacks: Any
) -> None:
    EmailAddress.objects.create(
        user=member_account, email=member_account.email, primary=True, verified=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        change_email(
            user=member_account,
            new_email=" Jordan.New@Example.ORG ",
            actor=account_agent,
            reason=REASON,
        )

    member_account.refresh_from_db()
    assert member_account.email == "jordan.new@example.org"
    [address] = EmailAddress.objects.filter(user=member_account)
    assert (address.email, address.primary, address.verified) == (
        "jordan.new@example.org",
        True,
        False,
    )
    assert sorted(m.to[0] for m in mail.outbox) == [
        "jordan.new@example.org",
        "jordan.smith@example.org",
    ]
    old_notice = next(m for m in mail.outbox if m.to == ["jordan.smith@example.org"])
    assert "jordan.new@example.org" not in old_notice.body  # masked
    new_notice = next(m for m in mail.outbox if m.to == ["jordan.new@example.org"])
    assert "jordan.smith" not in new_notice.body  # no username to an unconfirmed address
    [event] = events("staff.email.changed")
    assert event.outcome == Outcome.SUCCESS
    assert event.reason == REASON
    assert "example.org" not in str(event.details)


@pytest.mark.parametrize(
    ("new_email", "code"),
    [
        ("not-an-email", "staff.email.invalid"),
        ("", "staff.email.invalid"),
        ("a@" + "b" * 250 + ".org", "staff.email.invalid"),
        ("nul\x00@example.org", "staff.email.invalid"),
        ("JORDAN.SMITH@example.org", "staff.email.unchanged"),
        ("Other@Example.org", "staff.email.taken"),
    ],
)
def test_bad_email_addresses_are_refused(
    account_agent: User, member_account: User, new_email: str, code: str
) -> None:
    make_user("other", "member")

    with pytest.raises(DomainError) as caught:
        change_email(user=member_account, new_email=new_email, actor=account_agent, reason=REASON)

    assert caught.value.code == code
    member_account.refresh_from_db()
    assert member_account.email == "jordan.smith@example.org"


def test_service_center_cannot_change_email(service_agent: User, member_account: User) -> None:
    with pytest.raises(errors.StaffForbidden):
        change_email(
            user=member_account, new_email="x@example.org", actor=service_agent, reason=REASON
        )


# --- unlock_account ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["service_center", "account_team", "admin"])
def test_staff_unlock_clears_the_throttle(member_account: User, request_: Any, role: str) -> None:
    actor = make_user(f"agent.{role}", role)
    lock("jordan.smith")
    assert get_sign_in_status(username="jordan.smith").locked

    result = unlock_account(user=member_account, actor=actor, reason=REASON, request=request_)

    assert result.was_locked
    assert not LoginThrottle.objects.exists()
    assert not get_sign_in_status(username="jordan.smith").locked
    [event] = events("staff.account.unlocked")
    assert (event.outcome, event.reason, event.actor_id) == (Outcome.SUCCESS, REASON, actor.pk)
    assert event.details["cleared"] is True
    [cleared] = events("auth.lockout.cleared")
    assert cleared.actor_id == actor.pk


def test_staff_unlock_also_lifts_a_pause_reached_through_the_email_address(
    service_agent: User, member_account: User
) -> None:
    # The username step takes the verified email address too, with its own counter: an unlock
    # that cleared only the username's would leave the member paused when they type the address.
    lock("jordan.smith@example.org")
    assert get_sign_in_status(username="jordan.smith@example.org").locked

    result = unlock_account(user=member_account, actor=service_agent, reason=REASON)

    assert result.was_locked
    assert not get_sign_in_status(username="jordan.smith@example.org").locked
    assert not LoginThrottle.objects.exists()


def test_unlock_with_nothing_locked_is_still_audited(
    service_agent: User, member_account: User
) -> None:
    result = unlock_account(user=member_account, actor=service_agent, reason=REASON)

    assert not result.was_locked
    [event] = events("staff.account.unlocked")
    assert event.details["cleared"] is False


def test_members_cannot_unlock(member_account: User) -> None:
    other = make_user("other", "member")
    lock("jordan.smith")

    with pytest.raises(errors.StaffForbidden):
        unlock_account(user=member_account, actor=other, reason=REASON)

    assert get_sign_in_status(username="jordan.smith").locked


def test_unlock_of_a_member_without_an_account(service_agent: User) -> None:
    member = MemberFactory()

    with pytest.raises(errors.NoAccount):
        unlock_account(user=None, actor=service_agent, reason=REASON, subject=member)

    [event] = events("staff.account.unlocked")
    assert event.outcome == Outcome.FAILURE
    assert event.subject_id == str(member.public_id)


# --- send_username_reminder --------------------------------------------------------------------


def test_username_reminder_goes_only_to_the_email_on_file(
    service_agent: User, member: Member, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = send_username_reminder(member=member, actor=service_agent, reason=REASON)

    [reminder] = mail.outbox
    assert reminder.to == ["jordan.smith@example.org"]
    assert "jordan.smith" in reminder.body
    assert result.masked_email == "j•••••h@e•••••e.org"
    [event] = events("staff.username.reminder_sent")
    assert event.outcome == Outcome.SUCCESS
    assert event.subject_id == str(member.public_id)


def test_username_reminder_needs_an_account(service_agent: User) -> None:
    with pytest.raises(errors.NoAccount) as caught:
        send_username_reminder(member=MemberFactory(), actor=service_agent, reason=REASON)

    assert caught.value.code == "staff.account.missing"


def test_username_reminder_needs_an_email(service_agent: User, member: Member) -> None:
    assert member.user is not None
    User.objects.filter(pk=member.user.pk).update(email="")
    member.refresh_from_db()

    with pytest.raises(errors.NoEmailOnFile):
        send_username_reminder(member=member, actor=service_agent, reason=REASON)


def test_account_team_does_not_send_username_reminders(account_agent: User, member: Member) -> None:
    with pytest.raises(errors.StaffForbidden):
        send_username_reminder(member=member, actor=account_agent, reason=REASON)

    assert mail.outbox == []


@pytest.mark.parametrize("new_username", ["someone.else@example.org", "Someone.Else@Example.org"])
def test_a_username_that_is_another_email_address_is_refused(
    account_agent: User, member_account: User, new_username: str
) -> None:
    """A username equal to someone's email address would take their email sign-in."""
    with pytest.raises(errors.InvalidUsername):
        change_username(
            user=member_account, new_username=new_username, actor=account_agent, reason=REASON
        )

    member_account.refresh_from_db()
    assert member_account.username == "jordan.smith"


def test_the_accounts_own_email_address_may_be_its_username(
    account_agent: User, member_account: User
) -> None:
    change_username(
        user=member_account,
        new_username=member_account.email.upper(),
        actor=account_agent,
        reason=REASON,
    )

    member_account.refresh_from_db()
    assert member_account.username == member_account.email.lower()
