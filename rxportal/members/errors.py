"""Member errors with stable dotted codes (family access consent)."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class FamilyAccessError(DomainError):
    code = "family_access.error"


class FamilyAccessNotAllowed(FamilyAccessError):
    """Only the dependent themself, signed in to their own account, may grant or revoke."""

    code = "family_access.not_allowed"


class FamilyAccessNotInFamily(FamilyAccessError):
    """The grantee must be the subscriber on the grantor's card (the grantor a dependent)."""

    code = "family_access.not_in_family"


class FamilyAccessGrantorIsMinor(FamilyAccessError):
    """A dependent under 18 needs no consent: their subscriber always sees their records."""

    code = "family_access.grantor_is_minor"


class FamilyAccessAlreadyGranted(FamilyAccessError):
    code = "family_access.already_granted"


class FamilyAccessNotGranted(FamilyAccessError):
    """Nothing to revoke: there is no active grant for this pair."""

    code = "family_access.not_granted"
