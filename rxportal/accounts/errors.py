"""Account-security errors with stable dotted codes.

Messages are for people (translated at raise time); ``details`` carry slugs and counts only,
never the submitted phrase, answer, phone number or code.
"""

from __future__ import annotations

from rxportal.core.errors import DomainError, ValidationFailed


class UnknownSiteKeyImage(ValidationFailed):
    code = "account.sitekey.unknown_image"


class InvalidSiteKeyPhrase(ValidationFailed):
    code = "account.sitekey.invalid_phrase"


class InvalidPhoneNumber(ValidationFailed):
    code = "account.sms_phone.invalid"


class PhoneNotSet(DomainError):
    """The user has no phone on file, so a text message cannot be sent."""

    code = "account.sms_phone.missing"


class PhoneNotVerified(DomainError):
    """A second-factor or new-device code may only go to a verified phone."""

    code = "account.sms_phone.unverified"


class SmsUnavailable(DomainError):
    """No SMS gateway is configured (``RXPORTAL_SMS_GATEWAY`` is off)."""

    code = "account.sms.unavailable"


class EmailNotSet(DomainError):
    code = "account.email.missing"


class UnknownChallengeQuestion(ValidationFailed):
    code = "account.challenge.unknown_question"


class WrongNumberOfChallengeAnswers(ValidationFailed):
    code = "account.challenge.wrong_count"


class ChallengeAnswerTooShort(ValidationFailed):
    code = "account.challenge.answer_too_short"


class SecondFactorNeeded(DomainError):
    """Recovery codes stand in for a second factor: the account must have one first."""

    code = "account.recovery_codes.second_factor_needed"
