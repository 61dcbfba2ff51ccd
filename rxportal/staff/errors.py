"""What the staff console's use cases refuse, with stable codes. Messages are for the staff
member, translated when raised; refusals are audited with the code (``services.common.refuse``).
"""

from __future__ import annotations

from rxportal.core.errors import DomainError, ValidationFailed

# --- Who may act ------------------------------------------------------------------------------


class StaffForbidden(DomainError):
    """The actor's role may not do this, or not to this account."""

    code = "staff.forbidden"


class RecordsForbidden(DomainError):
    """The actor's role may not read a member's orders and claims."""

    code = "staff.records.forbidden"


# --- The reason typed for the audit trail -----------------------------------------------------


class ReasonRequired(ValidationFailed):
    code = "staff.reason.required"


class ReasonTooLong(ValidationFailed):
    code = "staff.reason.too_long"


class ReasonInvalid(ValidationFailed):
    code = "staff.reason.invalid"


class ReasonCodeRequired(DomainError):
    """No reason code chosen from the list before opening a caller's records."""

    code = "staff.reason_code.required"


# --- Usernames and email addresses ------------------------------------------------------------


class InvalidUsername(ValidationFailed):
    code = "staff.username.invalid"


class UsernameUnchanged(ValidationFailed):
    code = "staff.username.unchanged"


class UsernameTaken(DomainError):
    code = "staff.username.taken"


class InvalidEmail(ValidationFailed):
    code = "staff.email.invalid"


class EmailUnchanged(ValidationFailed):
    code = "staff.email.unchanged"


class EmailTaken(DomainError):
    code = "staff.email.taken"


# --- The account acted on ---------------------------------------------------------------------


class NoAccount(DomainError):
    """The member has no (active) sign-in account."""

    code = "staff.account.missing"


class NoEmailOnFile(DomainError):
    code = "staff.email.missing"


class CallerNotVerified(DomainError):
    """No caller check for this member in this session, or it is older than 15 minutes."""

    code = "staff.caller.not_verified"
