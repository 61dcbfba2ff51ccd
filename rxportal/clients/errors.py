"""Errors of client links, access requests and grants (stable dotted codes)."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class ClientAccessError(DomainError):
    code = "clients.error"


class NotPermitted(ClientAccessError):
    code = "clients.not_permitted"


class LinkRefused(ClientAccessError):
    """``clients.link.not_business_user``, ``clients.link.already_linked``,
    ``clients.link.one_client_only``, ``clients.link.method_required``,
    ``clients.link.self``, ``clients.link.organization_required``,
    ``clients.link.reason_required``, ``clients.link.already_asked``,
    ``clients.link.not_live``."""

    code = "clients.link.refused"


class AccessRequestRefused(ClientAccessError):
    """``clients.access.not_linked``, ``clients.access.unknown_tool``,
    ``clients.access.reason_required``, ``clients.access.already_open``,
    ``clients.access.already_granted``, ``clients.access.not_open``,
    ``clients.access.verification_required``, ``clients.access.decision_reason_required``."""

    code = "clients.access.refused"


class GrantRefused(ClientAccessError):
    """``clients.grant.not_live``, ``clients.grant.reason_required``."""

    code = "clients.grant.refused"
