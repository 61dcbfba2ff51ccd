"""Bearer-token authentication for the JSON API (the token is checked by django-oauth-toolkit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from rxportal.api import ratelimit
from rxportal.api.problems import insufficient_scope, not_found
from rxportal.connected_apps.bearer import TokenGrant, authenticate_bearer
from rxportal.core import clock
from rxportal.records.reads import Edge, Reader, find_visible_member

if TYPE_CHECKING:
    from rxportal.members.models import Member


class AccessToken(HttpBearer):
    """Sets ``request.user`` and ``request.token_grant``; ninja answers 401 when this is None."""

    def authenticate(self, request: HttpRequest, token: str) -> TokenGrant | None:
        grant = authenticate_bearer(request)
        if grant is None:
            # Guessed or stale tokens count against the caller's address.
            ratelimit.charge_address(request)
            return None
        ratelimit.charge_token(request, grant.token_id)
        request.user = grant.user  # type: ignore[assignment]
        request.token_grant = grant  # type: ignore[attr-defined]
        return grant


def reader_for(request: HttpRequest) -> Reader:
    """The API caller as a records ``Reader`` (the edge and the app go into every PHI audit)."""
    grant: TokenGrant = request.token_grant  # type: ignore[attr-defined]
    return Reader(user=grant.user, edge=Edge.API, request=request, client_id=grant.client_id)


def token_grant(request: Any) -> TokenGrant:
    return request.token_grant  # type: ignore[no-any-return]


def require_read(request: HttpRequest, resource_type: str) -> TokenGrant:
    """The grant, if it may read ``resource_type`` (SMART ``patient/<type>.read`` / ``.rs``);
    otherwise the 403 ``insufficient_scope`` problem naming the v2 scope to ask for."""
    grant = token_grant(request)
    if not grant.allows_read(resource_type):
        raise insufficient_scope(f"patient/{resource_type}.rs")
    return grant


def member_for(request: HttpRequest, public_id: str | None) -> Member:
    """The member an operation is about: ``public_id`` when given, else the patient chosen for
    this app at consent, else the caller themselves; the family rule decides, as on the web.
    Anyone the caller may not see (or a malformed id) is the 404 problem: an id reveals nothing.
    """
    wanted = public_id if public_id else token_grant(request).patient_public_id
    member = find_visible_member(reader_for(request), public_id=wanted, today=clock.today())
    if member is None:
        raise not_found("No member with this id that you may see.")
    return member
