"""Reads of links, access requests and grants. Every selector takes ``viewer=``: a client user
or advisor sees only their own links, requests and grants; the account-team reads need its
permissions. A viewer who may not see something gets ``None`` or an empty list, never an error
that says it exists.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from rxportal.accounts.models import User
from rxportal.clients import domain
from rxportal.clients.domain import OPEN_STAGES
from rxportal.clients.models import (
    AccessRequest,
    Client,
    ClientLink,
    DesignatedContact,
    LinkRequest,
    ToolGrant,
)
from rxportal.clients.services import (
    BUSINESS_ROLES,
    PERM_DECIDE,
    PERM_DIRECTORY,
    PERM_LINK,
    PERM_PORTAL,
)

Viewer = AbstractBaseUser | AnonymousUser


def _may(viewer: Viewer, permission: str) -> bool:
    return isinstance(viewer, User) and viewer.is_active and viewer.has_perm(permission)


def _viewer_pk(viewer: Viewer, permission: str) -> int | None:
    """The viewer's id when they hold ``permission``, else None (they see nothing)."""
    return viewer.pk if isinstance(viewer, User) and _may(viewer, permission) else None


# --- The client user's or advisor's own view ---------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    request: AccessRequest
    stage: str
    overdue: bool
    phi_level: bool


@dataclass(frozen=True)
class GrantRow:
    grant: ToolGrant
    status: str
    live: bool


@dataclass(frozen=True)
class ClientHome:
    clients: list[Client]
    requests: list[RequestRow]
    grants: list[GrantRow]
    organization_claim: str
    link_requests: list[LinkRequest]


def list_linked_clients(*, viewer: Viewer) -> list[Client]:
    viewer_pk = _viewer_pk(viewer, PERM_PORTAL)
    if viewer_pk is None:
        return []
    return list(
        Client.objects.filter(links__user_id=viewer_pk, links__ended_at__isnull=True).order_by(
            "name"
        )
    )


def find_linked_client(*, viewer: Viewer, public_id: uuid.UUID) -> Client | None:
    viewer_pk = _viewer_pk(viewer, PERM_PORTAL)
    if viewer_pk is None:
        return None
    return Client.objects.filter(
        public_id=public_id, links__user_id=viewer_pk, links__ended_at__isnull=True
    ).first()


def _request_row(access_request: AccessRequest, *, now: dt.datetime) -> RequestRow:
    grant = getattr(access_request, "grant", None) if access_request.stage == "approved" else None
    live = (
        None
        if grant is None
        else domain.is_grant_live(expires_at=grant.expires_at, revoked_at=grant.revoked_at, now=now)
    )
    stage = domain.compute_request_stage(stored=access_request.stage, grant_live=live)
    return RequestRow(
        request=access_request,
        stage=stage,
        overdue=domain.is_overdue(due_on=access_request.due_on, stage=stage, today=now.date()),
        phi_level=domain.is_phi_tool(access_request.tool),
    )


def _grant_row(grant: ToolGrant, *, now: dt.datetime) -> GrantRow:
    status = domain.compute_grant_status(
        expires_at=grant.expires_at, revoked_at=grant.revoked_at, now=now
    )
    return GrantRow(grant=grant, status=status, live=status == "active")


def get_client_home(*, viewer: Viewer, now: dt.datetime) -> ClientHome:
    viewer_pk = _viewer_pk(viewer, PERM_PORTAL)
    if viewer_pk is None:
        return ClientHome(
            clients=[], requests=[], grants=[], organization_claim="", link_requests=[]
        )
    requests = (
        AccessRequest.objects.filter(requester_id=viewer_pk)
        .select_related("client", "grant")
        .order_by("-submitted_at")
    )
    grants = (
        ToolGrant.objects.filter(user_id=viewer_pk).select_related("client").order_by("-granted_at")
    )
    return ClientHome(
        clients=list_linked_clients(viewer=viewer),
        requests=[_request_row(r, now=now) for r in requests],
        grants=[_grant_row(g, now=now) for g in grants],
        organization_claim=getattr(viewer, "organization_claim", ""),
        link_requests=list(
            LinkRequest.objects.filter(requester_id=viewer_pk, resolved_at__isnull=True)
        ),
    )


def find_own_request(
    *, viewer: Viewer, public_id: uuid.UUID, now: dt.datetime
) -> RequestRow | None:
    viewer_pk = _viewer_pk(viewer, PERM_PORTAL)
    if viewer_pk is None:
        return None
    found = (
        AccessRequest.objects.filter(public_id=public_id, requester_id=viewer_pk)
        .select_related("client", "grant")
        .first()
    )
    return None if found is None else _request_row(found, now=now)


def find_live_grant(
    *, viewer: Viewer, client_public_id: uuid.UUID, tool: str, now: dt.datetime
) -> ToolGrant | None:
    """The viewer's grant in force for this client and tool: linked now, not revoked and not
    past its expiry (whether or not the daily job has recorded the expiry)."""
    viewer_pk = _viewer_pk(viewer, PERM_PORTAL)
    if viewer_pk is None or tool not in domain.Tool.__members__.values():
        return None
    return (
        ToolGrant.objects.filter(
            user_id=viewer_pk,
            client__public_id=client_public_id,
            tool=tool,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .filter(
            Exists(
                ClientLink.objects.filter(
                    user_id=viewer_pk, client_id=OuterRef("client_id"), ended_at__isnull=True
                )
            )
        )
        .select_related("client")
        .first()
    )


# --- The account team's console ----------------------------------------------------------------


@dataclass(frozen=True)
class PendingUser:
    user: User
    organization_claim: str
    links: list[ClientLink]
    link_requests: list[LinkRequest]


def list_pending_verifications(*, viewer: Viewer) -> list[User]:
    """Client and advisor accounts with no live link yet (with the organization they typed), or
    with an open request to be linked to another organization."""
    if not _may(viewer, PERM_LINK):
        return []
    live = ClientLink.objects.filter(user_id=OuterRef("pk"), ended_at__isnull=True)
    asked = LinkRequest.objects.filter(requester_id=OuterRef("pk"), resolved_at__isnull=True)
    return list(
        User.objects.filter(role__in=BUSINESS_ROLES, is_active=True)
        .filter(~Exists(live) | Exists(asked))
        .prefetch_related(
            Prefetch(
                "link_requests",
                queryset=LinkRequest.objects.filter(resolved_at__isnull=True),
                to_attr="open_link_requests",
            )
        )
        .order_by("date_joined")
    )


def list_business_users(*, viewer: Viewer) -> list[User]:
    """Every client and advisor account with its live links (for the console's user list)."""
    if not _may(viewer, PERM_LINK):
        return []
    return list(
        User.objects.filter(role__in=BUSINESS_ROLES)
        .prefetch_related(
            Prefetch(
                "client_links",
                queryset=ClientLink.objects.filter(ended_at__isnull=True).select_related("client"),
                to_attr="live_links",
            )
        )
        .order_by("username")
    )


def find_business_user(*, viewer: Viewer, public_id: uuid.UUID) -> PendingUser | None:
    if not _may(viewer, PERM_LINK):
        return None
    user = User.objects.filter(public_id=public_id, role__in=BUSINESS_ROLES).first()
    if user is None:
        return None
    links = list(
        ClientLink.objects.filter(user=user)
        .select_related("client", "verified_by")
        .order_by("-verified_at")
    )
    asked = list(LinkRequest.objects.filter(requester=user, resolved_at__isnull=True))
    return PendingUser(
        user=user, organization_claim=user.organization_claim, links=links, link_requests=asked
    )


def find_live_link_for_team(*, viewer: Viewer, public_id: uuid.UUID) -> ClientLink | None:
    """A live link the account team may end; None for ended links and other viewers."""
    if not _may(viewer, PERM_LINK):
        return None
    return (
        ClientLink.objects.filter(public_id=public_id, ended_at__isnull=True)
        .select_related("user", "client", "verified_by")
        .first()
    )


def list_access_queue(*, viewer: Viewer, today: dt.date) -> list[RequestRow]:
    """Open requests, oldest due date first; overdue ones are flagged."""
    if not _may(viewer, PERM_DECIDE):
        return []
    rows = (
        AccessRequest.objects.filter(stage__in=OPEN_STAGES)
        .select_related("client", "requester")
        .order_by("due_on", "submitted_at")
    )
    return [
        RequestRow(
            request=r,
            stage=r.stage,
            overdue=domain.is_overdue(due_on=r.due_on, stage=r.stage, today=today),
            phi_level=domain.is_phi_tool(r.tool),
        )
        for r in rows
    ]


def find_request_for_team(
    *, viewer: Viewer, public_id: uuid.UUID, now: dt.datetime
) -> RequestRow | None:
    if not _may(viewer, PERM_DECIDE):
        return None
    found = (
        AccessRequest.objects.filter(public_id=public_id)
        .select_related("client", "requester", "verified_by", "decided_by", "grant")
        .first()
    )
    return None if found is None else _request_row(found, now=now)


def list_live_grants(*, viewer: Viewer, now: dt.datetime) -> list[GrantRow]:
    if not _may(viewer, PERM_DECIDE):
        return []
    grants = (
        ToolGrant.objects.filter(revoked_at__isnull=True, expires_at__gt=now)
        .select_related("user", "client")
        .order_by("expires_at")
    )
    return [_grant_row(g, now=now) for g in grants]


def find_grant_for_team(*, viewer: Viewer, public_id: uuid.UUID) -> ToolGrant | None:
    if not _may(viewer, PERM_DECIDE):
        return None
    return ToolGrant.objects.filter(public_id=public_id).select_related("user", "client").first()


def list_clients_with_contacts(*, viewer: Viewer) -> QuerySet[Client]:
    if not _may(viewer, PERM_DIRECTORY):
        return Client.objects.none()
    return Client.objects.prefetch_related(
        Prefetch("contacts", queryset=DesignatedContact.objects.order_by("name"))
    ).order_by("name")


def list_clients_for_linking(*, viewer: Viewer) -> QuerySet[Client]:
    if not _may(viewer, PERM_LINK):
        return Client.objects.none()
    return Client.objects.order_by("name")
