"""The channels' outside systems: Django's mail backends and the SMS provider interface.

Each send either returns or raises ``DeliveryFailed`` with a code (another try may work). The
only module in the project that sends mail (a test holds every other module to it).
"""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Mapping
from types import TracebackType

from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from rxportal.accounts.gateways import SmsProviderError, get_sms_gateway
from rxportal.notifications.errors import DeliveryFailed


def send_email(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    headers: Mapping[str, str] | None = None,
    connection: BaseEmailBackend | None = None,
) -> None:
    """Plain text, with the HTML as an alternative when there is one; ``headers`` such as
    List-Unsubscribe go on the message as given (``connection``: an open one from
    ``MailSession``, else one of its own)."""
    message = EmailMultiAlternatives(
        subject, body_text, None, [to], headers=dict(headers or {}), connection=connection
    )
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


class MailSession:
    """One mail connection for many messages (a batch), instead of one per message.

    ``with MailSession() as mail: mail.send(...)``. After a failed send the connection is
    closed and opened again for the next message; if it cannot be opened, each send fails as
    ``send_email`` does (``email.unreachable``) and is retried like any other.
    """

    def __init__(self) -> None:
        self._connection = get_connection()

    def __enter__(self) -> MailSession:
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    def send(
        self,
        *,
        to: str,
        subject: str,
        body_text: str,
        body_html: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        try:
            send_email(
                to=to,
                subject=subject,
                body_text=body_text,
                body_html=body_html,
                headers=headers,
                connection=self._connection,
            )
        except DeliveryFailed:
            self._close()
            self._open()
            raise

    def _open(self) -> None:
        # If it cannot be opened, each send tries its own and fails with its code.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self._connection.open()

    def _close(self) -> None:
        with contextlib.suppress(smtplib.SMTPException, OSError):  # already gone
            self._connection.close()


def send_text(*, to: str, body: str) -> None:
    try:
        get_sms_gateway().send_sms(to=to, body=body)
    except SmsProviderError as error:
        raise DeliveryFailed(
            "The SMS provider did not take the message.", code="sms.provider"
        ) from (error)
