"""What every member-data endpoint of the JSON API checks first: the token's scopes, and whose
records the caller may see (the web's family rule, through ``rxportal.records``).

Refusals are problem documents: 403 ``insufficient-scope`` (with the RFC 6750 challenge naming
the scope needed) and 404 ``not-found`` for anything the caller may not see, so an id never
tells whether it exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

from rxportal.api import problems
from rxportal.api.auth import reader_for, token_grant
from rxportal.api.problems import Problem, insufficient_scope
from rxportal.core import clock
from rxportal.core.errors import DomainError
from rxportal.members.selectors import sees_own_account
from rxportal.records.reads import find_visible_member, visible_members

if TYPE_CHECKING:
    from rxportal.connected_apps.bearer import TokenGrant
    from rxportal.members.models import Member


def require_read(request: Any, resource_type: str, *, search: bool = False) -> TokenGrant:
    """The grant, if it may read (``search``: search) this FHIR type's records (SMART v1 or v2);
    otherwise the 403 naming a scope the consent screen offers that allows both (v2 ``rs``)."""
    grant = token_grant(request)
    if not grant.allows_read(resource_type, search=search):
        raise insufficient_scope(f"patient/{resource_type}.rs")
    return grant


def require_scope(request: Any, scope: str) -> None:
    """A write scope of the JSON API (``refills.write``, ``notifications.write``)."""
    if not token_grant(request).allows(scope):
        raise insufficient_scope(scope)


# What a 404 says, by the kind of record asked for (whole sentences, so each can be translated).
_NOT_FOUND_DETAILS = {
    "record": gettext_lazy("No such record that you may see."),
    "member": gettext_lazy("No such member that you may see."),
    "claim": gettext_lazy("No such claim that you may see."),
    "prescription": gettext_lazy("No such prescription that you may see."),
    "refill request": gettext_lazy("No such refill request that you may see."),
    "mail order": gettext_lazy("No such mail order that you may see."),
    "message": gettext_lazy("No such message that you may see."),
}


def not_found(what: str = "record") -> Problem:
    return problems.not_found(_NOT_FOUND_DETAILS[what])


def require_own_account(request: Any) -> None:
    """Settings of the account itself (notification preferences) are the account holder's: a
    token whose consent binds it to another patient (a child) may not read or change them."""
    visible = visible_members(reader_for(request), today=clock.today())
    if not sees_own_account(request.user, visible):
        raise not_found("record")


def visible_member_or_404(request: Any, public_id: str | None) -> Member:
    """The member the ``member`` parameter names (the caller's own record when None), if the
    caller may see them today; else a 404 problem."""
    member = find_visible_member(reader_for(request), public_id=public_id, today=clock.today())
    if member is None:
        raise not_found("member")
    return member


def member_for(request: Any, public_id: str | None) -> Member:
    """The one member an operation is about: ``public_id`` when given, else the patient chosen
    for this app at consent, else the caller themselves; the family rule decides, as on the web,
    and anyone the caller may not see (or a malformed id) is the 404 problem."""
    return visible_member_or_404(request, public_id or token_grant(request).patient_public_id)


def domain_problem(error: DomainError, status: int) -> Problem:
    """A service's refusal as a problem: its stable code is the slug (``refill.too_soon``), its
    message the detail, and the ids it names (``details``) go along."""
    return Problem(
        status,
        error.code,
        error.code.replace(".", " ").replace("_", " ").capitalize(),
        error.message,
        extra={"code": error.code, **_members(error.details)},
    )


# RFC 9457's own members: an error detail of the same name goes under another name.
_RESERVED = frozenset({"type", "title", "status", "detail", "instance", "code"})


def _members(details: Mapping[str, Any]) -> dict[str, str]:
    return {(f"error_{k}" if k in _RESERVED else k): str(v) for k, v in details.items()}
