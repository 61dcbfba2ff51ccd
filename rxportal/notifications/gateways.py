"""The channels' outside systems: Django's mail backends and the SMS provider interface.

Each send either returns or raises ``DeliveryFailed`` with a code (another try may work). The
only module in the project that sends mail (a test holds every other module to it).
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping

from django.core.mail import BadHeaderError, EmailMultiAlternatives

from rxportal.accounts.gateways import SmsProviderError, get_sms_gateway
from rxportal.notifications.errors import DeliveryFailed


def send_email(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    headers: Mapping[str, str] | None = None,
) -> None:
    """Plain text, with the HTML as an alternative when there is one; ``headers`` such as
    List-Unsubscribe go on the message as given."""
    message = EmailMultiAlternatives(subject, body_text, None, [to], headers=dict(headers or {}))
    if body_html:
        message.attach_alternative(body_html, "text/html")
    try:
        message.send()
    except BadHeaderError as error:  # a line break in a header: a failed try, not a crash
        raise DeliveryFailed("The message has an invalid header.", code="email.invalid") from (
            error
        )
    except smtplib.SMTPException as error:
        raise DeliveryFailed("The mail server refused the message.", code="email.refused") from (
            error
        )
    except OSError as error:  # connection refused, reset, timed out
        raise DeliveryFailed(
            "The mail server could not be reached.", code="email.unreachable"
        ) from (error)


def send_text(*, to: str, body: str) -> None:
    try:
        get_sms_gateway().send_sms(to=to, body=body)
    except SmsProviderError as error:
        raise DeliveryFailed(
            "The SMS provider did not take the message.", code="sms.provider"
        ) from (error)
