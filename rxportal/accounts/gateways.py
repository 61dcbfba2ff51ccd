"""Outside systems used by account security: SMS delivery.

``get_sms_gateway()`` builds the class named by ``settings.RXPORTAL_SMS_GATEWAY``:

* ``ConsoleSmsGateway``: development only; writes the message (code included) to the log.
  It refuses to exist outside development, and prod.py refuses to start with it configured.
* ``FakeSmsGateway``: tests; keeps every message in ``FakeSmsGateway.outbox``.
* A real provider later: a class with the same ``send_sms`` signature, raising
  ``SmsProviderError`` when the provider refuses or cannot be reached (the notifications app
  retries those; anything else is a bug).

An empty setting means SMS is switched off: ``is_sms_enabled()`` is False and the sign-in flow
must not offer text messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from rxportal.accounts.errors import SmsUnavailable

logger = logging.getLogger("rxportal.accounts.sms")


class SmsProviderError(Exception):
    """The provider did not take the message; another try may work. No number or body in it."""


class SmsGateway(Protocol):
    def send_sms(self, *, to: str, body: str) -> None:
        """Deliver ``body`` to the E.164 number ``to``; raise on failure."""


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str


class ConsoleSmsGateway:
    """Development: "sends" by logging. Never for production, since the body holds the code."""

    def __init__(self) -> None:
        if settings.RXPORTAL_ENV != "development":
            raise ImproperlyConfigured("ConsoleSmsGateway is for development only")

    def send_sms(self, *, to: str, body: str) -> None:
        logger.warning("SMS (development console) to ***%s: %s", to[-4:], body)


class FakeSmsGateway:
    """Tests: remembers messages in the class-level ``outbox`` (clear it between tests);
    ``failures_to_come`` makes that many next sends fail like a provider outage."""

    outbox: ClassVar[list[SentSms]] = []
    failures_to_come: ClassVar[int] = 0

    def send_sms(self, *, to: str, body: str) -> None:
        if FakeSmsGateway.failures_to_come > 0:
            FakeSmsGateway.failures_to_come -= 1
            raise SmsProviderError("provider unavailable")
        FakeSmsGateway.outbox.append(SentSms(to=to, body=body))


def is_sms_enabled() -> bool:
    return bool(settings.RXPORTAL_SMS_GATEWAY)


def get_sms_gateway() -> SmsGateway:
    path = settings.RXPORTAL_SMS_GATEWAY
    if not path:
        raise SmsUnavailable("Text messages are not available.")
    gateway_class = import_string(path)
    gateway: SmsGateway = gateway_class()
    return gateway
