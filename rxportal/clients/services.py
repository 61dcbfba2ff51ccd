"""Use cases that write: verified links, access requests, decisions, grants, revocations and
expiries. Each owns its transaction, checks the actor's permission, and writes the audit trail.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from functools import partial, wraps
from typing import Any, NoReturn, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from rxportal.accounts.models import Role, User
from rxportal.accounts.services import roles
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.clients import domain, notices
from rxportal.clients.domain import OPEN_STAGES, Stage, Tool
from rxportal.clients.errors import (
    AccessRequestRefused,
    ClientAccessError,
    GrantRefused,
    LinkRefused,
    NotPermitted,
)
from rxportal.clients.models import (
    AccessRequest,
    Client,
    ClientLink,
    LinkKind,
    LinkRequest,
    ToolGrant,
    VerificationMethod,
)

Actor = AbstractBaseUser | AnonymousUser
T = TypeVar("T")

BUSINESS_ROLES = frozenset({Role.CLIENT, Role.ADVISOR})

PERM_PORTAL = "clients.use_client_portal"
PERM_LINK = "clients.verify_client_links"
PERM_DECIDE = "clients.decide_tool_access"
PERM_DIRECTORY = "clients.view_client_directory"

TEXT_MAX_LENGTH = 1000

ACTION_LINKED = "clients.link.created"
ACTION_LINK_REQUESTED = "clients.link.requested"
ACTION_LINK_ENDED = "clients.link.ended"
ACTION_REQUESTED = "clients.access.requested"
ACTION_VERIFYING = "clients.access.verifying"
ACTION_APPROVED = "clients.access.approved"
ACTION_DENIED = "clients.access.denied"
ACTION_GRANTED = "clients.grant.created"
ACTION_REVOKED = "clients.grant.revoked"
ACTION_EXPIRED = "clients.grant.expired"
ACTION_REFUSED = "clients.action.refused"


def _audits_refusals(service: Callable[..., T]) -> Callable[..., T]:
    """A refused service call is audited after its transaction has rolled back (an event
    written inside it would vanish with it)."""

    @wraps(service)
    def audited(**kwargs: Any) -> T:
        try:
            return service(**kwargs)
        except ClientAccessError as error:
            subject = next(
                (
                    kwargs[k]
                    for k in ("access_request", "grant", "link", "user", "client", "requester")
                    if k in kwargs
                ),
                None,
            )
            record_event(
                action=ACTION_REFUSED,
                outcome=Outcome.DENIED if isinstance(error, NotPermitted) else Outcome.FAILURE,
                actor=kwargs.get("actor") or kwargs.get("requester"),
                request=kwargs.get("request"),
                subject=subject,
                details={"error_code": error.code},
            )
            raise

    return audited


# Kept under its old name for the clients app's callers; the rule lives in accounts.
ensure_role_group = roles.ensure_role_group


# --- Links ------------------------------------------------------------------------------------


@_audits_refusals
def link_user_to_client(
    *,
    user: User,
    client: Client,
    actor: Actor,
    method: str,
    notes: str = "",
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> ClientLink:
    """The account team links a client user (to their one client) or an advisor (to one more
    client) after verifying them; the link records who vouched, how, when and notes."""
    agent = _require(actor, PERM_LINK)
    if user.role not in BUSINESS_ROLES or not user.is_active:
        _refuse_link(
            "clients.link.not_business_user",
            _("Only client and advisor accounts can be linked to a client."),
            actor,
            request,
            user,
        )
    if user.pk == agent.pk:
        _refuse_link(
            "clients.link.self",
            _("Someone else on the account team must verify your own account."),
            actor,
            request,
            user,
        )
    if method not in VerificationMethod.values:
        _refuse_link(
            "clients.link.method_required",
            _("Choose how you verified this person."),
            actor,
            request,
            user,
        )
    notes = _clean_text(notes, required=False)
    with transaction.atomic():
        # Lock the user so two agents cannot both give a client user a client.
        User.objects.select_for_update().filter(pk=user.pk).first()
        live = list(ClientLink.objects.filter(user=user, ended_at__isnull=True))
        if any(link.client_id == client.pk for link in live):
            _refuse_link(
                "clients.link.already_linked",
                _("This person is already linked to that client."),
                actor,
                request,
                user,
            )
        if user.role == Role.CLIENT and live:
            _refuse_link(
                "clients.link.one_client_only",
                _("A client user belongs to one client; this one already has a client."),
                actor,
                request,
                user,
            )
        link = ClientLink.objects.create(
            user=user,
            client=client,
            kind=LinkKind.MEMBER_OF if user.role == Role.CLIENT else LinkKind.ADVISES,
            verified_by=agent,
            method=method,
            verified_at=now,
            notes=notes,
        )
        # Linking answers the person's open link requests (to this or any organization they
        # named: the agent decided which client they belong to).
        LinkRequest.objects.filter(requester=user, resolved_at__isnull=True).update(
            resolved_at=now, updated_at=now
        )
        record_event(
            action=ACTION_LINKED,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=user,
            details={
                "link": str(link.public_id),
                "client": str(client.public_id),
                "method": method,
            },
        )
    return link


@_audits_refusals
def ask_for_link(
    *,
    requester: User,
    organization: str,
    reason: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> LinkRequest:
    """A client user or advisor asks the account team to verify them for an organization."""
    _require(requester, PERM_PORTAL)
    name = _clean_text(
        organization,
        required=True,
        missing=_("Enter the organization's name."),
        code="clients.link.organization_required",
        error=LinkRefused,
    )[:200]
    text = _clean_text(
        reason,
        required=True,
        missing=_("Tell us how you work with this organization."),
        code="clients.link.reason_required",
        error=LinkRefused,
    )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=requester.pk).first()
        if LinkRequest.objects.filter(
            requester=requester, organization__iexact=name, resolved_at__isnull=True
        ).exists():
            raise LinkRefused(
                _(
                    "You already asked to be linked to this organization; the account team is working on it."
                ),
                code="clients.link.already_asked",
            )
        created = LinkRequest.objects.create(requester=requester, organization=name, reason=text)
        record_event(
            action=ACTION_LINK_REQUESTED,
            outcome=Outcome.SUCCESS,
            actor=requester,
            request=request,
            subject=created,
        )
    return created


def _refuse_link(code: str, message: str, *context: Any) -> NoReturn:
    raise LinkRefused(message, code=code)


# --- Access requests --------------------------------------------------------------------------


@_audits_refusals
def submit_access_request(
    *,
    requester: User,
    client: Client,
    tool: str,
    business_reason: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> AccessRequest:
    """A linked client user or advisor asks to use a tool for one of their clients."""
    _require(requester, PERM_PORTAL)
    refuse = partial(_refuse_request, actor=requester, request=request, subject=client)
    if tool not in Tool.__members__.values():
        refuse("clients.access.unknown_tool", _("Choose one of the tools."))
    if not ClientLink.objects.filter(user=requester, client=client, ended_at__isnull=True).exists():
        refuse("clients.access.not_linked", _("Your account is not linked to that client yet."))
    reason = _clean_text(
        business_reason, required=True, missing=_("Tell us why you need this tool.")
    )
    with transaction.atomic():
        # One open request and one live grant per user, client and tool.
        User.objects.select_for_update().filter(pk=requester.pk).first()
        same = {"client": client, "tool": tool}
        if AccessRequest.objects.filter(
            requester=requester, stage__in=OPEN_STAGES, **same
        ).exists():
            refuse(
                "clients.access.already_open",
                _(
                    "You already asked for this tool for this client; the account team is working on it."
                ),
            )
        if ToolGrant.objects.filter(
            user=requester, revoked_at__isnull=True, expires_at__gt=now, **same
        ).exists():
            refuse(
                "clients.access.already_granted",
                _("You can already use this tool for this client."),
            )
        access_request = AccessRequest.objects.create(
            requester=requester,
            client=client,
            tool=tool,
            business_reason=reason,
            stage=Stage.SUBMITTED,
            submitted_at=now,
            due_on=domain.compute_due_date(now.date()),
        )
        record_event(
            action=ACTION_REQUESTED,
            outcome=Outcome.SUCCESS,
            actor=requester,
            request=request,
            subject=access_request,
            details=_request_details(access_request),
        )
    return access_request


@_audits_refusals
def start_verification(
    *,
    access_request: AccessRequest,
    actor: Actor,
    method: str,
    notes: str = "",
    request: HttpRequest | None = None,
) -> AccessRequest:
    """The account team records how it is verifying the request; the stage becomes verifying."""
    agent = _require(actor, PERM_DECIDE)
    refuse = partial(_refuse_request, actor=actor, request=request, subject=access_request)
    if method not in VerificationMethod.values:
        refuse("clients.access.verification_required", _("Choose how you verified this request."))
    notes = _clean_text(notes, required=False)
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        if locked.stage not in OPEN_STAGES:
            refuse("clients.access.not_open", _("This request has already been decided."))
        locked.stage = Stage.VERIFYING
        locked.verification_method = method
        locked.verification_notes = notes
        locked.verified_by = agent
        locked.save(
            update_fields=[
                "stage",
                "verification_method",
                "verification_notes",
                "verified_by",
                "updated_at",
            ]
        )
        record_event(
            action=ACTION_VERIFYING,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=locked,
            details={**_request_details(locked), "method": method},
        )
    return locked


@_audits_refusals
def decide_access_request(
    *,
    access_request: AccessRequest,
    actor: Actor,
    approve: bool,
    reason: str,
    now: dt.datetime,
    method: str = "",
    notes: str = "",
    request: HttpRequest | None = None,
) -> AccessRequest:
    """Approve (a grant for a year) or deny an open request, with a reason. The verification
    method is required: recorded earlier (verifying) or given now. The requester is emailed."""
    action = ACTION_APPROVED if approve else ACTION_DENIED
    agent = _require(actor, PERM_DECIDE)
    refuse = partial(_refuse_request, actor=actor, request=request, subject=access_request)
    text = _clean_text(
        reason,
        required=True,
        missing=_("Give the reason for your decision."),
        code="clients.access.decision_reason_required",
    )
    notes = _clean_text(notes, required=False)
    with transaction.atomic():
        locked = (
            AccessRequest.objects.select_for_update(of=("self",))
            .select_related("client", "requester")
            .get(pk=access_request.pk)
        )
        if locked.stage not in OPEN_STAGES:
            refuse("clients.access.not_open", _("This request has already been decided."))
        if method:
            if method not in VerificationMethod.values:
                refuse(
                    "clients.access.verification_required",
                    _("Choose how you verified this request."),
                )
            locked.verification_method, locked.verified_by = method, agent
            if notes:
                locked.verification_notes = notes
        if approve and not locked.verification_method:
            refuse(
                "clients.access.verification_required",
                _("Record how you verified this request before approving it."),
            )
        if (
            approve
            and not ClientLink.objects.filter(
                user_id=locked.requester_id, client_id=locked.client_id, ended_at__isnull=True
            ).exists()
        ):
            refuse(
                "clients.access.not_linked", _("The requester is no longer linked to this client.")
            )
        locked.stage = Stage.APPROVED if approve else Stage.DENIED
        locked.decided_by = agent
        locked.decided_at = now
        locked.decision_reason = text
        locked.save()
        record_event(
            action=action,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=locked,
            reason=text,
            details={**_request_details(locked), "method": locked.verification_method},
        )
        if approve:
            _grant(locked, actor=agent, now=now, request=request)
        notices.send_decision_notice(locked.pk)
    return locked


def _grant(
    access_request: AccessRequest, *, actor: User, now: dt.datetime, request: HttpRequest | None
) -> ToolGrant:
    # A grant past its expiry that the daily job has not marked yet would hold the one-open-grant
    # constraint: record its expiry first.
    for old in ToolGrant.objects.select_for_update().filter(
        user_id=access_request.requester_id,
        client_id=access_request.client_id,
        tool=access_request.tool,
        revoked_at__isnull=True,
        expiry_recorded_at__isnull=True,
        expires_at__lte=now,
    ):
        _record_expiry(old, now=now)
    grant = ToolGrant.objects.create(
        user_id=access_request.requester_id,
        client_id=access_request.client_id,
        tool=access_request.tool,
        phi_level=domain.is_phi_tool(access_request.tool),
        request=access_request,
        granted_by=actor,
        granted_at=now,
        expires_at=domain.compute_grant_expiry(now),
    )
    record_event(
        action=ACTION_GRANTED,
        outcome=Outcome.SUCCESS,
        actor=actor,
        request=request,
        subject=grant,
        details={
            "request": str(access_request.public_id),
            "tool": grant.tool,
            "phi_level": grant.phi_level,
            "expires": grant.expires_at.date().isoformat(),
        },
    )
    return grant


@_audits_refusals
def end_client_link(
    *,
    link: ClientLink,
    actor: Actor,
    reason: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> ClientLink:
    """The account team ends a live link, with a reason. The user's live grants for that client
    end with it (revoked now, each audited and its holder emailed); the row stays on record."""
    agent = _require(actor, PERM_LINK)
    text = _clean_text(
        reason,
        required=True,
        missing=_("Give the reason for ending this link."),
        code="clients.link.reason_required",
        error=LinkRefused,
    )
    with transaction.atomic():
        locked = ClientLink.objects.select_for_update().select_related("client").get(pk=link.pk)
        if locked.ended_at is not None:
            raise LinkRefused(_("This link has already ended."), code="clients.link.not_live")
        locked.ended_at = now
        locked.save(update_fields=["ended_at", "updated_at"])
        grants = [
            grant
            for grant in ToolGrant.objects.select_for_update()
            .filter(user_id=locked.user_id, client_id=locked.client_id, revoked_at__isnull=True)
            .select_related("client")
            .order_by("pk")
            if domain.is_grant_live(expires_at=grant.expires_at, revoked_at=None, now=now)
        ]
        for grant in grants:
            _revoke_locked_grant(
                grant,
                agent=agent,
                actor=actor,
                reason=text,
                now=now,
                request=request,
                link_ended=True,
            )
        record_event(
            action=ACTION_LINK_ENDED,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=locked,
            reason=text,
            details={
                "user": str(locked.user.public_id),
                "client": str(locked.client.public_id),
                "revoked_grants": len(grants),
            },
        )
    return locked


# --- Grants -----------------------------------------------------------------------------------


@_audits_refusals
def revoke_grant(
    *,
    grant: ToolGrant,
    actor: Actor,
    reason: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> ToolGrant:
    """End a grant now, with a reason; the holder is emailed."""
    agent = _require(actor, PERM_DECIDE)
    text = _clean_text(
        reason,
        required=True,
        missing=_("Give the reason for revoking."),
        code="clients.grant.reason_required",
        error=GrantRefused,
    )
    with transaction.atomic():
        locked = ToolGrant.objects.select_for_update().get(pk=grant.pk)
        if not domain.is_grant_live(
            expires_at=locked.expires_at, revoked_at=locked.revoked_at, now=now
        ):
            raise GrantRefused(_("This grant has already ended."), code="clients.grant.not_live")
        _revoke_locked_grant(
            locked, agent=agent, actor=actor, reason=text, now=now, request=request
        )
    return locked


def _revoke_locked_grant(
    grant: ToolGrant,
    *,
    agent: User,
    actor: Actor,
    reason: str,
    now: dt.datetime,
    request: HttpRequest | None,
    link_ended: bool = False,
) -> None:
    """End a grant the caller holds locked: record who and why, audit it, email the holder after
    commit. Shared by a single revocation and by ending the link the grant stands on."""
    grant.revoked_at = now
    grant.revoked_by = agent
    grant.revoke_reason = reason
    grant.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    details: dict[str, object] = {
        "tool": grant.tool,
        "client": str(grant.client.public_id),
        "phi_level": grant.phi_level,
    }
    if link_ended:
        details["link_ended"] = True
    record_event(
        action=ACTION_REVOKED,
        outcome=Outcome.SUCCESS,
        actor=actor,
        request=request,
        subject=grant,
        reason=reason,
        details=details,
    )
    notices.send_revocation_notice(grant.pk)


def record_due_expiries(*, now: dt.datetime) -> int:
    """Daily job: mark and audit every grant past its expiry (and its request as expired).
    Safe to run twice: a grant is recorded once. Returns how many were recorded."""
    recorded = 0
    due = ToolGrant.objects.filter(
        revoked_at__isnull=True, expiry_recorded_at__isnull=True, expires_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            grant = (
                ToolGrant.objects.select_for_update()
                .filter(pk=pk, revoked_at__isnull=True, expiry_recorded_at__isnull=True)
                .first()
            )
            if grant is not None:
                _record_expiry(grant, now=now)
                recorded += 1
    return recorded


def _record_expiry(grant: ToolGrant, *, now: dt.datetime) -> None:
    grant.expiry_recorded_at = now
    grant.save(update_fields=["expiry_recorded_at", "updated_at"])
    AccessRequest.objects.filter(pk=grant.request_id, stage=Stage.APPROVED).update(
        stage=Stage.EXPIRED, updated_at=now
    )
    record_event(
        action=ACTION_EXPIRED,
        outcome=Outcome.SUCCESS,
        subject=grant,
        details={"tool": grant.tool, "phi_level": grant.phi_level},
    )


def warn_of_due_expiries(*, now: dt.datetime) -> int:
    """Daily job: tell each live grant's holder it ends soon, 14 and 3 days before (the
    thresholds in ``notices.EXPIRY_WARNING_DAYS``), once each however often the job runs.

    A grant first seen inside the closer threshold (the job was down) gets only that warning.
    Returns how many warnings were written (repeats of one already sent included).
    """
    furthest = max(notices.EXPIRY_WARNING_DAYS)
    due = (
        ToolGrant.objects.filter(
            revoked_at__isnull=True,
            expiry_recorded_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + dt.timedelta(days=furthest),
            user__is_active=True,
        )
        .select_related("user", "client")
        .order_by("pk")
    )
    warned = 0
    for grant in due:
        left = grant.expires_at - now
        days_before = min(d for d in notices.EXPIRY_WARNING_DAYS if left <= dt.timedelta(days=d))
        with transaction.atomic():
            notices.send_expiry_warning(grant, days_before=days_before)
        warned += 1
    return warned


# --- Helpers ----------------------------------------------------------------------------------


def _require(actor: Actor, permission: str) -> User:
    """The actor as a ``User`` when active and holding ``permission``; else ``NotPermitted``."""
    if isinstance(actor, User) and actor.is_active and actor.has_perm(permission):
        return actor
    raise NotPermitted(_("Your role does not allow this."), code="clients.not_permitted")


def _refuse_request(code: str, message: str, **context: Any) -> NoReturn:
    raise AccessRequestRefused(message, code=code)


def _clean_text(
    text: str,
    *,
    required: bool,
    missing: str = "",
    code: str = "clients.access.reason_required",
    error: type[ClientAccessError] = AccessRequestRefused,
) -> str:
    """Trimmed, at most 1000 characters, no control characters but newlines and tabs."""
    value = text.strip() if isinstance(text, str) else ""
    value = "".join(char for char in value if char in "\n\t" or unicodedata.category(char) != "Cc")[
        :TEXT_MAX_LENGTH
    ]
    if required and not value:
        raise error(missing, code=code)
    return value


def _request_details(access_request: AccessRequest) -> dict[str, Any]:
    return {
        "client": str(access_request.client.public_id),
        "tool": access_request.tool,
        "phi_level": domain.is_phi_tool(access_request.tool),
        "stage": access_request.stage,
        "due": access_request.due_on.isoformat(),
    }
