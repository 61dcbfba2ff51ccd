"""Delivery failures: a provider or mail server said no, or could not be reached."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class DeliveryFailed(DomainError):
    """A try failed in a way another try may fix. ``code`` says which; never any content."""

    code = "notification.delivery_failed"


class NotificationNotResendable(DomainError):
    code = "notification.not_resendable"


class KindNotOptional(DomainError):
    """Security notices and answers to a person's own requests cannot be switched off."""

    code = "notification.not_optional"


class ChannelNotOffered(DomainError):
    code = "notification.channel_not_offered"


class InvalidNotificationSettings(DomainError):
    code = "notification.invalid_settings"


class InvalidUnsubscribeLink(DomainError):
    """The link's signature does not match (altered, or from another site), or its kind is gone."""

    code = "notification.invalid_unsubscribe_link"
