"""Claims-history errors with stable codes (messages are for people, codes for code)."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class UnknownPerson(DomainError):
    """The person filter names no one whose claims the viewer may see."""

    code = "claims.unknown_person"


class InvalidCursor(DomainError):
    """A "Newer" / "Older" link whose claim is not in the filtered claims (or not visible)."""

    code = "claims.invalid_cursor"


class StatementTooLarge(DomainError):
    code = "claims.statement_too_large"
