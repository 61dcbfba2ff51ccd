"""Services: every error code, the audit trail, emails after commit, the daily expiry job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from rxportal.accounts.models import User
from rxportal.clients import services
from rxportal.clients.errors import AccessRequestRefused, GrantRefused, LinkRefused, NotPermitted
from rxportal.clients.models import AccessRequest, Client, ClientLink, LinkRequest, ToolGrant
from rxportal.core import clock
from tests.clients.conftest import approve, events, link, submit

pytestmark = pytest.mark.django_db


# --- Links ------------------------------------------------------------------------------------


def test_the_account_team_links_a_client_user_with_who_how_when_and_notes(
    client_user: User, acme: Client, agent: User, now: dt.datetime
) -> None:
    created = services.link_user_to_client(
        user=client_user,
        client=acme,
        actor=agent,
        method="called_contact",
        notes="Spoke with the benefits director.",
        now=now,
    )
    assert (created.kind, created.verified_by, created.method) == (
        "member_of",
        agent,
        "called_contact",
    )
    assert created.verified_at == now
    assert created.notes == "Spoke with the benefits director."
    [event] = events("clients.link.created")
    assert event.actor == agent
    assert event.subject_id == str(client_user.public_id)
    assert event.details["client"] == str(acme.public_id)


def test_an_advisor_is_linked_to_several_clients(
    advisor: User, acme: Client, globex: Client, agent: User
) -> None:
    link(advisor, acme, agent)
    link(advisor, globex, agent)
    assert set(ClientLink.objects.filter(user=advisor).values_list("kind", flat=True)) == {
        "advises"
    }
    assert ClientLink.objects.filter(user=advisor).count() == 2


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("member", "clients.link.not_business_user"),
        ("self", "clients.link.not_business_user"),
        ("method", "clients.link.method_required"),
        ("twice", "clients.link.already_linked"),
        ("second_client", "clients.link.one_client_only"),
    ],
)
def test_link_refusals_have_codes_and_are_audited(
    case: str,
    code: str,
    client_user: User,
    member_user: User,
    agent: User,
    acme: Client,
    globex: Client,
) -> None:
    user, client, method = client_user, acme, "called_contact"
    if case == "member":
        user = member_user
    elif case == "self":
        user = agent
    elif case == "method":
        method = "guessed"
    elif case in {"twice", "second_client"}:
        link(client_user, acme, agent)
        client = acme if case == "twice" else globex
    with pytest.raises(LinkRefused) as raised:
        services.link_user_to_client(
            user=user, client=client, actor=agent, method=method, now=clock.now()
        )
    assert raised.value.code == code
    assert events("clients.action.refused")[-1].details == {"error_code": code}


def test_an_account_team_member_cannot_link_their_own_business_account(
    acme: Client, agent: User
) -> None:
    agent.role = "advisor"  # an agent who also advises: still not their own verifier
    agent.save()
    with pytest.raises(LinkRefused) as raised:
        services.link_user_to_client(
            user=agent, client=acme, actor=agent, method="called_contact", now=clock.now()
        )
    assert raised.value.code == "clients.link.self"


@pytest.mark.parametrize("role_fixture", ["service_agent", "client_user", "advisor"])
def test_only_the_account_team_may_link(
    role_fixture: str, request: pytest.FixtureRequest, unlinked_advisor: User, acme: Client
) -> None:
    actor = request.getfixturevalue(role_fixture)
    with pytest.raises(NotPermitted) as raised:
        link(unlinked_advisor, acme, actor)
    assert raised.value.code == "clients.not_permitted"
    assert not ClientLink.objects.exists()
    assert events("clients.action.refused")[-1].outcome == "denied"


# --- Access requests --------------------------------------------------------------------------


def test_a_linked_user_submits_a_request_due_in_ten_days(
    linked_client_user: User, acme: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 12, 28, 15, 0, tzinfo=dt.UTC))
    created = submit(linked_client_user, acme, tool="claims-reports")
    assert created.stage == "submitted"
    assert created.due_on == dt.date(2027, 1, 7)
    [event] = events("clients.access.requested")
    assert event.subject_id == str(created.public_id)
    assert event.details == {
        "client": str(acme.public_id),
        "tool": "claims-reports",
        "phi_level": True,
        "stage": "submitted",
        "due": "2027-01-07",
    }


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown_tool", "clients.access.unknown_tool"),
        ("not_linked", "clients.access.not_linked"),
        ("no_reason", "clients.access.reason_required"),
        ("open", "clients.access.already_open"),
        ("granted", "clients.access.already_granted"),
    ],
)
def test_request_refusals_have_codes(
    case: str,
    code: str,
    linked_client_user: User,
    acme: Client,
    globex: Client,
    agent: User,
) -> None:
    client, tool, reason = acme, "eligibility", "Member questions."
    if case == "unknown_tool":
        tool = "everything"
    elif case == "not_linked":
        client = globex
    elif case == "no_reason":
        reason = "   "
    elif case == "open":
        submit(linked_client_user, acme)
    elif case == "granted":
        approve(submit(linked_client_user, acme), agent)
    with pytest.raises(AccessRequestRefused) as raised:
        services.submit_access_request(
            requester=linked_client_user,
            client=client,
            tool=tool,
            business_reason=reason,
            now=clock.now(),
        )
    assert raised.value.code == code


def test_a_member_cannot_request_client_tools(member_user: User, acme: Client) -> None:
    with pytest.raises(NotPermitted):
        submit(member_user, acme)


def test_verifying_records_how_and_moves_the_stage(
    linked_client_user: User, acme: Client, agent: User
) -> None:
    created = submit(linked_client_user, acme)
    updated = services.start_verification(
        access_request=created, actor=agent, method="called_contact", notes="Left a voicemail."
    )
    assert (updated.stage, updated.verification_method, updated.verified_by) == (
        "verifying",
        "called_contact",
        agent,
    )
    assert events("clients.access.verifying")[0].details["method"] == "called_contact"


def test_approval_grants_the_tool_for_a_year_marks_phi_audits_and_emails(
    linked_client_user: User, acme: Client, agent: User, django_capture_on_commit_callbacks
) -> None:
    created = submit(linked_client_user, acme, tool="eligibility")
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.decide_access_request(
            access_request=created,
            actor=agent,
            approve=True,
            reason="Confirmed with the benefits director.",
            method="called_contact",
            now=clock.now(),
        )
    grant = ToolGrant.objects.get(request=created)
    assert decided.stage == "approved"
    assert decided.decided_by == agent
    assert grant.phi_level is True
    assert grant.user == linked_client_user
    assert grant.expires_at.date() == grant.granted_at.date().replace(
        year=grant.granted_at.year + 1
    )
    assert events("clients.access.approved")[0].reason == "Confirmed with the benefits director."
    assert events("clients.grant.created")[0].details["phi_level"] is True
    [message] = mail.outbox
    assert message.to == [linked_client_user.email]
    assert "approved" in message.subject
    assert "Eligibility lookup" in message.body
    assert "Acme Manufacturing" in message.body


def test_denial_records_the_reason_grants_nothing_and_emails(
    linked_client_user: User, acme: Client, agent: User, django_capture_on_commit_callbacks
) -> None:
    created = submit(linked_client_user, acme)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_access_request(
            access_request=created,
            actor=agent,
            approve=False,
            reason="The client's contact did not confirm.",
            now=clock.now(),
        )
    assert AccessRequest.objects.get(pk=created.pk).stage == "denied"
    assert not ToolGrant.objects.exists()
    assert events("clients.access.denied")[0].reason == "The client's contact did not confirm."
    [message] = mail.outbox
    assert "not approved" in message.subject
    assert "did not confirm" in message.body


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("no_reason", "clients.access.decision_reason_required"),
        ("no_method", "clients.access.verification_required"),
        ("bad_method", "clients.access.verification_required"),
        ("decided", "clients.access.not_open"),
        ("unlinked", "clients.access.not_linked"),
    ],
)
def test_decision_refusals_have_codes(
    case: str, code: str, linked_client_user: User, acme: Client, agent: User
) -> None:
    created = submit(linked_client_user, acme)
    reason, method = "Confirmed.", "called_contact"
    if case == "no_reason":
        reason = ""
    elif case == "no_method":
        method = ""
    elif case == "bad_method":
        method = "hunch"
    elif case == "decided":
        approve(created, agent)
    elif case == "unlinked":
        ClientLink.objects.filter(user=linked_client_user).update(ended_at=clock.now())
    with pytest.raises(AccessRequestRefused) as raised:
        services.decide_access_request(
            access_request=created,
            actor=agent,
            approve=True,
            reason=reason,
            method=method,
            now=clock.now(),
        )
    assert raised.value.code == code


def test_start_verification_refusals(linked_client_user: User, acme: Client, agent: User) -> None:
    created = submit(linked_client_user, acme)
    with pytest.raises(AccessRequestRefused) as raised:
        services.start_verification(access_request=created, actor=agent, method="")
    assert raised.value.code == "clients.access.verification_required"
    approve(created, agent)
    with pytest.raises(AccessRequestRefused) as raised:
        services.start_verification(access_request=created, actor=agent, method="called_contact")
    assert raised.value.code == "clients.access.not_open"


def test_service_center_and_requesters_cannot_decide(
    linked_client_user: User, acme: Client, service_agent: User
) -> None:
    created = submit(linked_client_user, acme)
    for actor in (service_agent, linked_client_user):
        with pytest.raises(NotPermitted):
            approve(created, actor)
    assert AccessRequest.objects.get(pk=created.pk).stage == "submitted"


# --- Grants -----------------------------------------------------------------------------------


def test_revoking_ends_the_grant_now_audits_and_emails(
    linked_client_user: User, acme: Client, agent: User, django_capture_on_commit_callbacks
) -> None:
    grant = approve(submit(linked_client_user, acme), agent)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke_grant(grant=grant, actor=agent, reason="Left the company.", now=clock.now())
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert grant.revoked_by == agent
    assert events("clients.grant.revoked")[0].reason == "Left the company."
    [message] = mail.outbox
    assert "revoked" in message.subject


def test_revoke_refusals(linked_client_user: User, acme: Client, agent: User) -> None:
    grant = approve(submit(linked_client_user, acme), agent)
    with pytest.raises(GrantRefused) as raised:
        services.revoke_grant(grant=grant, actor=agent, reason=" ", now=clock.now())
    assert raised.value.code == "clients.grant.reason_required"
    services.revoke_grant(grant=grant, actor=agent, reason="Done.", now=clock.now())
    with pytest.raises(GrantRefused) as raised:
        services.revoke_grant(grant=grant, actor=agent, reason="Again.", now=clock.now())
    assert raised.value.code == "clients.grant.not_live"
    with pytest.raises(NotPermitted):
        services.revoke_grant(
            grant=grant, actor=linked_client_user, reason="Mine.", now=clock.now()
        )


def test_the_daily_job_records_each_expiry_once_and_expires_the_request(
    linked_client_user: User, acme: Client, agent: User
) -> None:
    grant = approve(submit(linked_client_user, acme), agent)
    assert services.record_due_expiries(now=grant.expires_at - dt.timedelta(seconds=1)) == 0
    later = grant.expires_at + dt.timedelta(hours=1)
    assert services.record_due_expiries(now=later) == 1
    assert services.record_due_expiries(now=later) == 0
    grant.refresh_from_db()
    assert grant.expiry_recorded_at == later
    assert AccessRequest.objects.get(pk=grant.request_id).stage == "expired"
    [event] = events("clients.grant.expired")
    assert event.subject_id == str(grant.public_id)


def test_the_beat_task_runs_the_expiry_service(
    linked_client_user: User, acme: Client, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.conf import settings

    from rxportal.clients.tasks import record_due_expiries

    grant = approve(submit(linked_client_user, acme), agent)
    assert settings.CELERY_BEAT_SCHEDULE["clients.record_due_expiries"]["task"] == (
        "clients.record_due_expiries"
    )
    monkeypatch.setattr(clock, "now", lambda: grant.expires_at + dt.timedelta(days=1))
    assert record_due_expiries.delay().get() == {"expired": 1}


def test_re_certification_after_expiry_makes_a_new_grant(
    linked_client_user: User, acme: Client, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = approve(submit(linked_client_user, acme), agent)
    monkeypatch.setattr(clock, "now", lambda: first.expires_at + dt.timedelta(days=2))
    second = approve(submit(linked_client_user, acme), agent)
    first.refresh_from_db()
    assert first.expiry_recorded_at is not None  # recorded on the way, before the new grant
    assert second.pk != first.pk


def test_signing_in_puts_a_user_in_their_role_group(db: None) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client as HttpClient

    user = get_user_model().objects.create_user(username="new.advisor", role="advisor")
    assert not user.has_perm("clients.use_client_portal")
    HttpClient().force_login(user)
    assert get_user_model().objects.get(pk=user.pk).has_perm("clients.use_client_portal")


# --- Asking for a link ----------------------------------------------------------------------------


def test_asking_for_a_link_is_audited_and_linking_answers_it(
    unlinked_advisor: User, acme: Client, agent: User
) -> None:
    asked = services.ask_for_link(
        requester=unlinked_advisor,
        organization="Acme Mfg",
        reason="We are their broker.",
        now=clock.now(),
    )
    [event] = events("clients.link.requested")
    assert event.subject_id == str(asked.public_id)
    link(unlinked_advisor, acme, agent)
    asked.refresh_from_db()
    assert asked.resolved_at is not None


@pytest.mark.parametrize(
    ("organization", "reason", "code"),
    [
        ("  ", "Broker.", "clients.link.organization_required"),
        ("Acme", "", "clients.link.reason_required"),
        ("ACME", "Broker.", "clients.link.already_asked"),
    ],
)
def test_link_request_refusals(
    organization: str, reason: str, code: str, unlinked_advisor: User
) -> None:
    services.ask_for_link(
        requester=unlinked_advisor, organization="Acme", reason="Broker.", now=clock.now()
    )
    with pytest.raises(LinkRefused) as raised:
        services.ask_for_link(
            requester=unlinked_advisor, organization=organization, reason=reason, now=clock.now()
        )
    assert raised.value.code == code
    assert LinkRequest.objects.count() == 1
    assert events("clients.action.refused")[-1].details == {"error_code": code}


def test_a_member_cannot_ask_for_a_link(member_user: User) -> None:
    with pytest.raises(NotPermitted):
        services.ask_for_link(
            requester=member_user, organization="Acme", reason="Hi.", now=clock.now()
        )
