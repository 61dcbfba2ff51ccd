"""Emails to requesters about decisions on their access, written to the outbox in the
decision's transaction (``notifications.services.enqueue``), once per decision or revocation
(its idempotency key). The email names the tool and client, never a member.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from rxportal.clients.domain import Stage
from rxportal.clients.labels import TOOL_LABELS
from rxportal.clients.models import AccessRequest, ToolGrant
from rxportal.notifications import services as notifications


def send_decision_notice(access_request_pk: int) -> None:
    found = (
        AccessRequest.objects.select_related("requester", "client")
        .filter(pk=access_request_pk)
        .first()
    )
    if found is None or not found.requester.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "tool": str(TOOL_LABELS[found.tool]),
            "client": found.client.name,
            "reason": found.decision_reason,
            "phone": settings.RXPORTAL_SUPPORT["client_phone"],
        }
        if found.stage == Stage.APPROVED:
            subject = gettext("Your rxportal access request was approved")
            body = (
                gettext(
                    "Hello,\n\n"
                    "The account team approved your request to use %(tool)s for %(client)s. "
                    "You can open it from your client home page. Access lasts one year; "
                    "then you will be asked to request it again.\n\n"
                    "Note from the account team: %(reason)s\n\n"
                    "Questions? Call client services at %(phone)s.\n"
                )
                % values
            )
        else:
            subject = gettext("Your rxportal access request was not approved")
            body = (
                gettext(
                    "Hello,\n\n"
                    "The account team did not approve your request to use %(tool)s for "
                    "%(client)s.\n\n"
                    "Reason: %(reason)s\n\n"
                    "Questions? Call client services at %(phone)s.\n"
                )
                % values
            )
    notifications.enqueue(
        kind="clients.access_decided",
        recipient=found.requester,
        subject=subject,
        body_text=body,
        language=settings.LANGUAGE_CODE,
        idempotency_key=f"clients.access_decided:{found.public_id}",
    )


def send_revocation_notice(grant_pk: int) -> None:
    grant = ToolGrant.objects.select_related("user", "client").filter(pk=grant_pk).first()
    if grant is None or not grant.user.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Your rxportal tool access was revoked")
        body = gettext(
            "Hello,\n\n"
            "The account team ended your access to %(tool)s for %(client)s.\n\n"
            "Reason: %(reason)s\n\n"
            "Questions? Call client services at %(phone)s.\n"
        ) % {
            "tool": str(TOOL_LABELS[grant.tool]),
            "client": grant.client.name,
            "reason": grant.revoke_reason,
            "phone": settings.RXPORTAL_SUPPORT["client_phone"],
        }
    notifications.enqueue(
        kind="clients.grant_revoked",
        recipient=grant.user,
        subject=subject,
        body_text=body,
        language=settings.LANGUAGE_CODE,
        idempotency_key=f"clients.grant_revoked:{grant.public_id}",
    )
