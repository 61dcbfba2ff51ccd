"""Bearer-token authentication for the JSON API (the token is checked by django-oauth-toolkit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from rxportal.api import ratelimit
from rxportal.connected_apps.bearer import TokenGrant, authenticate_bearer
from rxportal.records.reads import Edge, Reader

if TYPE_CHECKING:
    pass


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
