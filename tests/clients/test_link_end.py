"""The account team ends a client/advisor link: a reason, audited, and the user's grants for
that client stop at once (the tool page 404s); grants for other clients stay."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.audit.models import Outcome
from rxportal.clients import services
from rxportal.clients.errors import LinkRefused, NotPermitted
from rxportal.clients.models import Client, ClientLink, ToolGrant
from rxportal.core import clock
from tests.clients.conftest import approve, events, logged_in, submit

pytestmark = pytest.mark.django_db

REASON = "The advisor no longer serves this client (contact confirmed)."


def _acme_link(user: User, acme: Client) -> ClientLink:
    return ClientLink.objects.get(user=user, client=acme, ended_at__isnull=True)


def test_ending_a_link_stops_that_clients_grants_at_once(
    linked_advisor: User,
    acme: Client,
    globex: Client,
    agent: User,
    django_capture_on_commit_callbacks,
) -> None:
    acme_grant = approve(submit(linked_advisor, acme), agent)
    globex_grant = approve(submit(linked_advisor, globex), agent)
    acme_tool = reverse("clients:tool", args=[acme.public_id, acme_grant.tool])
    globex_tool = reverse("clients:tool", args=[globex.public_id, globex_grant.tool])
    http = logged_in(linked_advisor)
    assert http.get(acme_tool).status_code == 200
    link = _acme_link(linked_advisor, acme)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ended = services.end_client_link(link=link, actor=agent, reason=REASON, now=clock.now())

    assert ended.ended_at is not None
    assert http.get(acme_tool).status_code == 404
    assert http.get(globex_tool).status_code == 200
    acme_grant.refresh_from_db()
    assert acme_grant.revoked_at == ended.ended_at
    assert acme_grant.revoked_by == agent
    assert acme_grant.revoke_reason == REASON
    assert ToolGrant.objects.get(pk=globex_grant.pk).revoked_at is None
    [event] = events("clients.link.ended")
    assert (event.outcome, event.reason, event.actor_id) == (Outcome.SUCCESS, REASON, agent.pk)
    assert event.subject_id == str(link.public_id)
    assert event.details["revoked_grants"] == 1
    assert [e.subject_id for e in events("clients.grant.revoked")] == [str(acme_grant.public_id)]
    assert [m.to for m in mail.outbox] == [[linked_advisor.email]]


def test_ending_a_link_needs_a_reason_and_a_live_link(
    linked_client_user: User, acme: Client, agent: User
) -> None:
    link = _acme_link(linked_client_user, acme)

    with pytest.raises(LinkRefused) as missing:
        services.end_client_link(link=link, actor=agent, reason="  ", now=clock.now())
    assert missing.value.code == "clients.link.reason_required"

    services.end_client_link(link=link, actor=agent, reason=REASON, now=clock.now())
    with pytest.raises(LinkRefused) as again:
        services.end_client_link(link=link, actor=agent, reason=REASON, now=clock.now())
    assert again.value.code == "clients.link.not_live"
    assert [e.details["error_code"] for e in events("clients.action.refused")] == [
        "clients.link.reason_required",
        "clients.link.not_live",
    ]


def test_only_the_account_team_ends_links(
    linked_client_user: User, acme: Client, service_agent: User
) -> None:
    link = _acme_link(linked_client_user, acme)

    with pytest.raises(NotPermitted):
        services.end_client_link(link=link, actor=service_agent, reason=REASON, now=clock.now())

    assert _acme_link(linked_client_user, acme).ended_at is None
    [event] = events("clients.action.refused")
    assert event.outcome == Outcome.DENIED


def test_the_console_ends_a_link_with_a_reason(
    linked_client_user: User, acme: Client, agent: User
) -> None:
    link = _acme_link(linked_client_user, acme)
    grant = approve(submit(linked_client_user, acme), agent)
    http = logged_in(agent)
    url = reverse("staff:clients_link_end", args=[link.public_id])

    page = http.get(url)
    assert page.status_code == 200
    assert "Acme Manufacturing" in page.content.decode()
    user_page = http.get(reverse("staff:clients_user", args=[linked_client_user.public_id]))
    assert url in user_page.content.decode()

    refused = http.post(url, {"reason": ""})
    assert refused.status_code == 200
    assert _acme_link(linked_client_user, acme).ended_at is None

    done = http.post(url, {"reason": REASON})
    assert done.status_code == 302
    assert done["Location"] == reverse("staff:clients_user", args=[linked_client_user.public_id])
    assert not ClientLink.objects.filter(pk=link.pk, ended_at__isnull=True).exists()
    tool = reverse("clients:tool", args=[acme.public_id, grant.tool])
    assert logged_in(linked_client_user).get(tool).status_code == 404
    assert http.get(url).status_code == 404  # an ended link has nothing left to end


def test_the_link_end_page_is_for_the_account_team_only(
    linked_client_user: User, acme: Client, service_agent: User
) -> None:
    link = _acme_link(linked_client_user, acme)
    url = reverse("staff:clients_link_end", args=[link.public_id])

    assert logged_in(service_agent).post(url, {"reason": REASON}).status_code == 403
    assert logged_in(linked_client_user).get(url).status_code == 403
    assert _acme_link(linked_client_user, acme).ended_at is None
