"""Bearer-token authentication for the JSON API (the token is checked by django-oauth-toolkit)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from rxportal.api import ratelimit
from rxportal.connected_apps.bearer import TokenGrant, authenticate_bearer
from rxportal.members.selectors import limit_to_patient
from rxportal.records.reads import Edge, Reader


class AccessToken(HttpBearer):
    """Sets ``request.user`` and ``request.token_grant`` (and the patient limit of a token bound to
    one patient); ninja answers 401 when this is None."""

    def authenticate(self, request: HttpRequest, token: str) -> TokenGrant | None:
        grant = authenticate_bearer(request)
        if grant is None:
            # Guessed or stale tokens count against the caller's address.
            ratelimit.charge_address(request)
            return None
        ratelimit.charge_token(request, grant.token_id)
        request.user = grant.user  # type: ignore[assignment]
        request.token_grant = grant  # type: ignore[attr-defined]
        if grant.bound_patient_public_id is not None:
            # A consent that named one patient: every read and write of this request, through
            # the family rule, sees only her (api.PortalAPI opened the scope around the request).
            limit_to_patient(grant.bound_patient_public_id)
        return grant


def reader_for(request: HttpRequest) -> Reader:
    """The API caller as a records ``Reader`` (the edge and the app go into every PHI audit)."""
    grant: TokenGrant = request.token_grant  # type: ignore[attr-defined]
    return Reader(user=grant.user, edge=Edge.API, request=request, client_id=grant.client_id)


def token_grant(request: Any) -> TokenGrant:
    return request.token_grant  # type: ignore[no-any-return]
