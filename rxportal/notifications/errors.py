"""Delivery failures: a provider or mail server said no, or could not be reached."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class DeliveryFailed(DomainError):
    """A try failed in a way another try may fix. ``code`` says which; never any content."""

    code = "notification.delivery_failed"


class NotificationNotResendable(DomainError):
    code = "notification.not_resendable"
