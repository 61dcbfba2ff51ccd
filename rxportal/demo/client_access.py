"""Demo links, access requests and grants for demo-client and demo-advisor (development only).

Made through the clients services, as the demo account team (``demo-accountteam``), so the
audit trail reads like real use. Idempotent: a demo user who already has a link is left as is.
Dates are moved back afterwards (demo only) so the pages show an overdue request and an
expired grant.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from rxportal.accounts.models import User
from rxportal.clients import services
from rxportal.clients.domain import Tool
from rxportal.clients.models import AccessRequest, Client, ClientLink, DesignatedContact, ToolGrant

DEMO_CONTACTS = (
    ("Pat Alvarez", "Benefits director", "1-860-555-0171", "pat.alvarez@example.com"),
    ("Morgan Lee", "HR operations manager", "1-860-555-0172", "morgan.lee@example.com"),
)
REASON = "Answer our employees' benefit questions and track plan costs."


def seed_demo_client_access(
    *, client_user: User, advisor: User, agent: User, clients: list[Client], now: dt.datetime
) -> None:
    """demo-client works for ``clients[0]`` and holds a live grant for each tool there;
    demo-advisor advises ``clients[0]`` and ``clients[1]``. Their requests show every stage:
    approved, denied, expired, and in the account team's queue verifying and submitted (overdue)."""
    for user in (client_user, advisor, agent):
        services.ensure_role_group(user=user)
    agent = User.objects.get(pk=agent.pk)  # a fresh permission cache after joining the group
    for client in clients:
        if not client.contacts.exists():
            name, title, phone, email = DEMO_CONTACTS[client.pk % len(DEMO_CONTACTS)]
            DesignatedContact.objects.create(
                client=client, name=name, title=title, phone=phone, email=email
            )
    if ClientLink.objects.filter(user__in=[client_user, advisor]).exists() or len(clients) < 2:
        return
    home, other = clients[0], clients[1]

    def link(user: User, client: Client) -> None:
        services.link_user_to_client(
            user=user,
            client=client,
            actor=agent,
            method="called_contact",
            notes="Demo: confirmed by the client's benefits director.",
            now=now,
        )

    def ask(user: User, client: Client, tool: Tool) -> AccessRequest:
        return services.submit_access_request(
            requester=user, client=client, tool=tool, business_reason=REASON, now=now
        )

    def decide(access_request: AccessRequest, *, approve: bool) -> None:
        services.decide_access_request(
            access_request=access_request,
            actor=agent,
            approve=approve,
            reason="Demo: confirmed with the designated contact."
            if approve
            else "Demo: the designated contact did not confirm this need.",
            method="called_contact",
            now=now,
        )

    link(client_user, home)
    link(advisor, home)
    link(advisor, other)
    # demo-client: every tool open for its client (drug trend, and the two PHI-level tools).
    for tool in (Tool.DRUG_TREND, Tool.ELIGIBILITY, Tool.CLAIMS_REPORTS):
        decide(ask(client_user, home, tool), approve=True)
    # demo-advisor: approved for the second client, denied and expired for the first, and two
    # in the account team's queue: one being verified, one new and overdue.
    decide(ask(advisor, other, Tool.DRUG_TREND), approve=True)
    decide(ask(advisor, home, Tool.CLAIMS_REPORTS), approve=False)
    lapsed = ask(advisor, home, Tool.ELIGIBILITY)
    decide(lapsed, approve=True)
    _move_back(lapsed, days=400)
    services.record_due_expiries(now=now)
    services.start_verification(
        access_request=ask(advisor, home, Tool.DRUG_TREND),
        actor=agent,
        method="called_contact",
        notes="Demo: left a message for the designated contact.",
    )
    overdue = ask(advisor, other, Tool.ELIGIBILITY)
    _move_back(overdue, days=12)


def _move_back(access_request: AccessRequest, *, days: int) -> None:
    """Demo only: as if the request (and its grant) had been made ``days`` ago."""
    shift = dt.timedelta(days=days)
    with transaction.atomic():
        AccessRequest.objects.filter(pk=access_request.pk).update(
            submitted_at=access_request.submitted_at - shift,
            due_on=access_request.due_on - shift,
        )
        for grant in ToolGrant.objects.filter(request=access_request):
            ToolGrant.objects.filter(pk=grant.pk).update(
                granted_at=grant.granted_at - shift, expires_at=grant.expires_at - shift
            )
