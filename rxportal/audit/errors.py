"""Errors raised by the audit trail's services and selectors."""

from rxportal.core.errors import DomainError


class AuditForbidden(DomainError):
    """The viewer may not read the audit trail (only PBM staff and superusers may)."""

    code = "audit.forbidden"
