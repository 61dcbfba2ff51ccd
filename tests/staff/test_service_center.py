"""Service-center console: find a member by name, a verified caller's orders and claims (reason
code, 15-minute caller check bound to the member, audited), challenge-question reset, and
helping a client or advisor who calls. Role x URL matrix for these pages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import ChallengeAnswer, LoginThrottle, User
from rxportal.audit.models import Outcome
from rxportal.core import clock
from rxportal.members.models import Member
from rxportal.notifications.models import Notification
from rxportal.staff.errors import CallerNotVerified, ReasonCodeRequired
from rxportal.staff.services import challenges, service_center
from rxportal.staff.services.verification import CallerCheck
from tests.factories import ClaimFactory, DrugFactory, MemberFactory
from tests.orders.factories import MailOrderLineFactory, make_order
from tests.staff.conftest import events, lock, make_user, staff_client

REASON = "Caller verified, ticket 4411"
BY_NAME = {
    "first_name": "Jordan",
    "last_name": "Smith",
    "date_of_birth": "1980-06-15",
    "zip_code": "06103",
}


def _html(response: Any) -> str:
    return response.content.decode()


def _verified(agent: User, member: Member) -> Client:
    client = staff_client(agent)
    response = client.post(reverse("staff:member_find"), BY_NAME)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:member_records", args=[member.public_id])
    return client


def _orders_url(member: Member, reason: str = "order_question") -> str:
    return reverse("staff:member_orders", args=[member.public_id]) + f"?reason={reason}"


def _claims_url(member: Member, reason: str = "claim_question") -> str:
    return reverse("staff:member_claims", args=[member.public_id]) + f"?reason={reason}"


# --- Find a member by name, date of birth and ZIP -------------------------------------------


def test_name_lookup_matches_whole_names_ignoring_case_and_accents(
    service_agent: User, member: Member
) -> None:
    MemberFactory(first_name="Jordan", last_name="Smithson", zip_code="06103")
    found = service_center.look_up_members_by_name(
        actor=service_agent,
        first_name="  JORDAN ",
        last_name="smith",
        date_of_birth=dt.date(1980, 6, 15),
        zip_code="06103-1234",
    )
    assert found == [member]
    event = events("phi.staff.member.lookup")[-1]
    assert event.details == {"edge": "web", "matches": 1, "by": "name"}
    assert event.subject_id == str(member.public_id)
    assert "Jordan" not in str(event.details) and "Smith" not in event.reason


@pytest.mark.parametrize(
    "change",
    [
        {"first_name": "Jord"},
        {"last_name": "Smit"},
        {"date_of_birth": "1980-06-16"},
        {"zip_code": "06104"},
    ],
)
def test_a_partial_or_wrong_detail_finds_nobody_and_says_nothing_about_why(
    service_agent: User, member: Member, change: dict[str, str]
) -> None:
    client = staff_client(service_agent)
    response = client.post(reverse("staff:member_find"), {**BY_NAME, **change})
    assert response.status_code == 200
    html = _html(response)
    assert "No single member matches those details." in html
    assert str(member.public_id) not in html and "RXP00001234" not in html
    assert events("phi.staff.member.lookup")[-1].outcome == Outcome.FAILURE


def test_accented_names_match_without_the_accents(service_agent: User) -> None:
    member = MemberFactory(first_name="José", last_name="Núñez", zip_code="06103")
    found = service_center.look_up_members_by_name(
        actor=service_agent,
        first_name="jose",
        last_name="NUNEZ",
        date_of_birth=member.date_of_birth,
        zip_code="06103",
    )
    assert found == [member]


def test_two_people_sharing_all_details_are_never_listed(
    service_agent: User, member: Member
) -> None:
    MemberFactory(first_name="Jordan", last_name="Smith", zip_code="06103")
    client = staff_client(service_agent)
    response = client.post(reverse("staff:member_find"), BY_NAME)
    assert response.status_code == 200
    assert "Ask for the member ID" in _html(response)
    assert str(member.public_id) not in _html(response)


def test_name_lookup_is_empty_for_non_staff(member: Member, member_account: User) -> None:
    assert (
        service_center.look_up_members_by_name(
            actor=member_account,
            first_name="Jordan",
            last_name="Smith",
            date_of_birth=dt.date(1980, 6, 15),
            zip_code="06103",
        )
        == []
    )


# --- Orders and claims after the caller check ----------------------------------------------


def test_verified_caller_orders_list_and_detail_are_audited_with_the_reason(
    service_agent: User, member: Member
) -> None:
    order = make_order(member=member, lines=2)
    other = make_order(member=MemberFactory())
    client = _verified(service_agent, member)

    response = client.get(_orders_url(member))
    assert response.status_code == 200
    assert order.order_number in _html(response)
    assert other.order_number not in _html(response)
    listed = events("phi.staff.member.orders.viewed")
    assert len(listed) == 1
    assert listed[0].outcome == Outcome.SUCCESS
    assert listed[0].subject_id == str(member.public_id)
    assert listed[0].actor_username == service_agent.username
    assert listed[0].reason == "order_question"
    assert listed[0].details == {"edge": "web", "count": 1}

    detail = client.get(
        reverse("staff:member_order", args=[member.public_id, order.public_id])
        + "?reason=order_question"
    )
    assert detail.status_code == 200
    drug = order.lines.first().prescription.drug.name  # type: ignore[union-attr]
    assert drug in _html(detail)
    viewed = events("phi.staff.member.order.viewed")
    assert viewed[-1].details == {"edge": "web", "order": str(order.public_id)}
    assert viewed[-1].reason == "order_question"
    assert drug not in str(viewed[-1].details)


def test_another_members_order_or_claim_is_a_404(service_agent: User, member: Member) -> None:
    other = MemberFactory()
    order = make_order(member=other)
    claim = ClaimFactory(member=other)
    client = _verified(service_agent, member)
    assert (
        client.get(
            reverse("staff:member_order", args=[member.public_id, order.public_id])
            + "?reason=order_question"
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("staff:member_claim", args=[member.public_id, claim.public_id])
            + "?reason=claim_question"
        ).status_code
        == 404
    )


def test_an_order_with_a_line_for_someone_else_is_not_shown(
    service_agent: User, member: Member
) -> None:
    order = make_order(member=member)
    MailOrderLineFactory(order=order, prescription__member=MemberFactory())
    client = _verified(service_agent, member)
    assert order.order_number not in _html(client.get(_orders_url(member)))


def test_claims_list_and_detail_are_audited_without_drug_names(
    service_agent: User, member: Member
) -> None:
    drug = DrugFactory(name="Atorvastatin 20 MG Oral Tablet")
    claim = ClaimFactory(member=member, drug=drug)
    ClaimFactory(member=MemberFactory())
    client = _verified(service_agent, member)

    response = client.get(_claims_url(member))
    assert response.status_code == 200
    assert claim.claim_number in _html(response)
    listed = events("phi.staff.member.claims.viewed")[-1]
    assert listed.details == {"edge": "web", "count": 1}
    assert listed.reason == "claim_question"

    detail = client.get(
        reverse("staff:member_claim", args=[member.public_id, claim.public_id])
        + "?reason=cost_question"
    )
    assert detail.status_code == 200
    assert "Atorvastatin" in _html(detail)
    viewed = events("phi.staff.member.claim.viewed")[-1]
    assert viewed.reason == "cost_question"
    assert "Atorvastatin" not in str(viewed.details) + viewed.reason


@pytest.mark.parametrize("reason", ["", "because", "order_question%00"])
def test_records_need_a_reason_code_from_the_list(
    service_agent: User, member: Member, reason: str
) -> None:
    client = _verified(service_agent, member)
    response = client.get(_orders_url(member, reason))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:member_records", args=[member.public_id])
    denied = events("phi.staff.member.orders.viewed")
    assert [e.outcome for e in denied] == [Outcome.DENIED]
    assert denied[0].details == {"edge": "web", "error_code": "staff.reason_code.required"}


def test_records_without_a_caller_check_send_the_agent_to_verify(
    service_agent: User, member: Member
) -> None:
    client = staff_client(service_agent)
    for url in (
        _orders_url(member),
        _claims_url(member),
        reverse("staff:member_records", args=[member.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("staff:member_find"), url
    denied = events("phi.staff.member.orders.viewed")
    assert denied[0].details == {"edge": "web", "error_code": "staff.caller.not_verified"}


def test_the_caller_check_is_bound_to_the_member(service_agent: User, member: Member) -> None:
    other = MemberFactory()
    make_order(member=other)
    client = _verified(service_agent, member)
    response = client.get(_orders_url(other))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:member_find")


def test_the_caller_check_expires_after_15_minutes(
    service_agent: User, member: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _verified(service_agent, member)
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(minutes=14))
    assert client.get(_orders_url(member)).status_code == 200
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(minutes=16))
    response = client.get(_orders_url(member))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:member_find")


def test_caller_check_service_rules(service_agent: User, member: Member) -> None:
    now = clock.now()
    fresh = CallerCheck(public_id=str(member.public_id), verified_at=now)
    stale = CallerCheck(
        public_id=str(member.public_id), verified_at=now - dt.timedelta(minutes=15, seconds=1)
    )
    kwargs: dict[str, Any] = {"actor": service_agent, "member_public_id": member.public_id}
    assert service_center.list_member_claims(
        **kwargs, caller=fresh, reason_code="claim_question", now=now
    )
    for caller in (None, stale, CallerCheck(public_id=str(uuid.uuid4()), verified_at=now)):
        with pytest.raises(CallerNotVerified):
            service_center.list_member_claims(
                **kwargs, caller=caller, reason_code="claim_question", now=now
            )
    with pytest.raises(ReasonCodeRequired):
        service_center.list_member_claims(**kwargs, caller=fresh, reason_code="", now=now)


# --- Reset challenge questions ------------------------------------------------------------


def test_reset_challenge_questions_removes_answers_audits_and_emails(
    service_agent: User,
    member: Member,
    member_account: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    for slug in ("first_pet", "first_street", "first_car"):
        ChallengeAnswer.objects.create(user=member_account, question=slug, answer_hash="x")
    client = _verified(service_agent, member)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with_commit = client.post(
            reverse("staff:member_challenges_reset", args=[member.public_id]),
            {"reset-reason": REASON},
        )
    assert with_commit.status_code == 302
    assert not ChallengeAnswer.objects.filter(user=member_account).exists()
    event = events("staff.challenges.reset")[-1]
    assert event.outcome == Outcome.SUCCESS
    assert event.subject_id == str(member.public_id)
    assert event.reason == REASON
    assert event.details == {"answers_removed": 3, "notice_sent": True}
    assert [m.to for m in mail.outbox] == [[member_account.email]]
    assert "challenge questions" in mail.outbox[0].subject


def test_reset_challenge_questions_needs_a_reason_and_a_verified_caller(
    service_agent: User, member: Member, member_account: User
) -> None:
    ChallengeAnswer.objects.create(user=member_account, question="first_pet", answer_hash="x")
    url = reverse("staff:member_challenges_reset", args=[member.public_id])
    assert staff_client(service_agent).post(url, {"reset-reason": REASON}).status_code == 302
    client = _verified(service_agent, member)
    response = client.post(url, {"reset-reason": ""})
    assert response.status_code == 400
    assert ChallengeAnswer.objects.filter(user=member_account).count() == 1
    assert client.get(url).status_code == 405


# --- A client or advisor who calls ----------------------------------------------------------


@pytest.fixture
def client_user(db: None) -> User:
    return make_user(
        "casey.client",
        "client",
        first_name="Casey",
        last_name="Nguyen",
        organization_claim="Acme Manufacturing",
    )


def _client_lookup(**extra: str) -> dict[str, str]:
    return {
        "username": "",
        "first_name": "Casey",
        "last_name": "Nguyen",
        "email": "casey.client@example.org",
        "organization": "acme manufacturing",
        **extra,
    }


@pytest.mark.parametrize(
    "details",
    [
        {},
        {"username": "CASEY.CLIENT", "first_name": "", "last_name": ""},
    ],
)
def test_a_client_is_found_by_username_or_name_with_email_and_organization(
    service_agent: User, client_user: User, details: dict[str, str]
) -> None:
    client = staff_client(service_agent)
    response = client.post(reverse("staff:client_user_find"), _client_lookup(**details))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:client_user_help", args=[client_user.public_id])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "casey.client" not in _html(page)  # masked: the reminder goes to the inbox
    assert events("staff.client_user.viewed")[-1].subject_id == str(client_user.public_id)


@pytest.mark.parametrize(
    "details",
    [
        {"email": "casey@example.org"},
        {"organization": "Acme"},
        {"last_name": "Ng"},
        {"username": "casey", "first_name": "", "last_name": ""},
        {"username": "", "first_name": "", "last_name": ""},
    ],
)
def test_a_client_lookup_miss_says_nothing(
    service_agent: User, client_user: User, details: dict[str, str]
) -> None:
    response = staff_client(service_agent).post(
        reverse("staff:client_user_find"), _client_lookup(**details)
    )
    assert response.status_code == 200
    assert str(client_user.public_id) not in _html(response)


def test_members_are_not_found_by_the_client_lookup(
    service_agent: User, member_account: User
) -> None:
    member_account.organization_claim = "Acme"
    member_account.save()
    found = service_center.look_up_client_user(
        actor=service_agent,
        email=member_account.email,
        organization="Acme",
        username=member_account.username,
    )
    assert found is None


def test_client_reminder_goes_to_the_email_on_file_and_unlock_clears_the_lock(
    service_agent: User, client_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = staff_client(service_agent)
    client.post(reverse("staff:client_user_find"), _client_lookup())
    url = reverse("staff:client_user_help", args=[client_user.public_id])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "reminder", "reminder-reason": REASON})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[client_user.email]]
    assert "casey.client" in mail.outbox[0].body
    assert "casey.client" not in _html(client.get(url))
    assert events("staff.username.reminder_sent")[-1].subject_id == str(client_user.public_id)

    lock(client_user.username)
    response = client.post(url, {"action": "unlock", "unlock-reason": REASON})
    assert response.status_code == 302
    assert not LoginThrottle.objects.exclude(locked_until=None).exists()
    assert events("staff.account.unlocked")[-1].outcome == Outcome.SUCCESS


def _answers(user: User) -> None:
    for slug in ("first_pet", "first_street", "first_car"):
        ChallengeAnswer.objects.create(user=user, question=slug, answer_hash="x")


def test_a_verified_client_callers_challenge_questions_are_reset_audited_and_told(
    service_agent: User, client_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    _answers(client_user)
    client = staff_client(service_agent)
    client.post(reverse("staff:client_user_find"), _client_lookup())
    url = reverse("staff:client_user_help", args=[client_user.public_id])
    assert "Reset challenge questions" in _html(client.get(url))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "challenges", "challenges-reason": REASON})

    assert response.status_code == 302
    assert response["Location"] == url
    assert not ChallengeAnswer.objects.filter(user=client_user).exists()
    event = events("staff.challenges.reset")[-1]
    assert event.outcome == Outcome.SUCCESS
    assert event.subject_id == str(client_user.public_id)
    assert event.reason == REASON
    assert event.details == {"answers_removed": 3, "notice_sent": True}
    assert [m.to for m in mail.outbox] == [[client_user.email]]
    assert "challenge questions" in mail.outbox[0].subject
    assert "challenge questions are removed" in _html(client.get(url))


def test_a_client_callers_reset_needs_a_reason_and_a_verified_caller(
    service_agent: User, client_user: User
) -> None:
    _answers(client_user)
    url = reverse("staff:client_user_help", args=[client_user.public_id])
    unverified = staff_client(service_agent).post(
        url, {"action": "challenges", "challenges-reason": REASON}
    )
    assert unverified.status_code == 302
    assert unverified["Location"] == reverse("staff:client_user_find")

    client = staff_client(service_agent)
    client.post(reverse("staff:client_user_find"), _client_lookup())
    response = client.post(url, {"action": "challenges", "challenges-reason": ""})
    assert response.status_code == 200
    assert ChallengeAnswer.objects.filter(user=client_user).count() == 3
    assert not events("staff.challenges.reset")


def test_the_account_team_cannot_reset_a_client_callers_challenge_questions(
    account_agent: User, client_user: User
) -> None:
    _answers(client_user)
    client = staff_client(account_agent)
    client.post(reverse("staff:client_user_find"), _client_lookup())
    url = reverse("staff:client_user_help", args=[client_user.public_id])
    assert "Reset challenge questions" not in _html(client.get(url))

    response = client.post(url, {"action": "challenges", "challenges-reason": REASON})

    assert response.status_code == 403
    assert ChallengeAnswer.objects.filter(user=client_user).count() == 3
    assert events("staff.challenges.reset")[-1].outcome == Outcome.DENIED


def test_the_challenges_service_resets_an_advisor_and_tells_them(
    service_agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    advisor = make_user("ari.advisor", "advisor", organization_claim="Brokerage")
    _answers(advisor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        removed = challenges.reset_challenge_answers(
            user=advisor, actor=service_agent, reason=REASON
        )

    assert removed == 3
    assert not ChallengeAnswer.objects.filter(user=advisor).exists()
    assert events("staff.challenges.reset")[-1].subject_id == str(advisor.public_id)
    assert [m.to for m in mail.outbox] == [[advisor.email]]
    assert Notification.objects.filter(recipient=advisor, kind="security.challenges_reset").exists()


def test_client_help_page_needs_the_caller_check(service_agent: User, client_user: User) -> None:
    response = staff_client(service_agent).get(
        reverse("staff:client_user_help", args=[client_user.public_id])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:client_user_find")


# --- Role x URL matrix -----------------------------------------------------------------------


def _urls(member: Member) -> dict[str, str]:
    some = uuid.uuid4()
    return {
        "member_find": reverse("staff:member_find"),
        "member_records": reverse("staff:member_records", args=[member.public_id]),
        "member_orders": _orders_url(member),
        "member_order": reverse("staff:member_order", args=[member.public_id, some])
        + "?reason=order_question",
        "member_claims": _claims_url(member),
        "member_claim": reverse("staff:member_claim", args=[member.public_id, some])
        + "?reason=claim_question",
        "member_challenges_reset": reverse(
            "staff:member_challenges_reset", args=[member.public_id]
        ),
        "client_user_find": reverse("staff:client_user_find"),
        "client_user_help": reverse("staff:client_user_help", args=[some]),
    }


SERVICE_CENTER_ONLY = {
    "member_find",
    "member_records",
    "member_orders",
    "member_order",
    "member_claims",
    "member_claim",
    "member_challenges_reset",
}


@pytest.mark.parametrize("role", ["member", "client", "advisor", "account_team", "anonymous"])
def test_role_matrix(member: Member, role: str) -> None:
    client = Client() if role == "anonymous" else staff_client(make_user(f"matrix.{role}", role))
    for name, url in _urls(member).items():
        response = client.post(url) if name == "member_challenges_reset" else client.get(url)
        if role == "anonymous":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("account_login")), name
        elif role == "account_team" and name not in SERVICE_CENTER_ONLY:
            assert response.status_code in (200, 302), name
        else:
            assert response.status_code == 403, name
            assert "Jordan" not in _html(response)


@pytest.mark.parametrize("role", ["service_center", "admin"])
def test_service_center_and_admin_reach_every_page(member: Member, role: str) -> None:
    agent = make_user(f"matrix.{role}", role)
    client = _verified(agent, member)
    for name, url in _urls(member).items():
        if name == "member_challenges_reset":
            continue
        response = client.get(url)
        expected = 404 if name in {"member_order", "member_claim"} else 200
        if name == "client_user_help":
            expected = 302  # an unknown account was never verified
        assert response.status_code == expected, name


def test_orders_and_claims_lists_have_a_query_budget(
    service_agent: User, member: Member, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        make_order(member=member, lines=2)
        ClaimFactory(member=member)
    client = _verified(service_agent, member)
    # Session, user, the user's and group permissions (two, once a request), member, the rows
    # (and their lines), the audit chain, the header's unread count (then cached; with the
    # viewer's own member record, which decides whose messages it counts): not one per row.
    with django_assert_max_num_queries(14):
        assert client.get(_orders_url(member)).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(_claims_url(member)).status_code == 200
