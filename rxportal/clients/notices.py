"""Emails to requesters about decisions on their access (sent after commit, by id).

A later issue moves every notice to the notifications app; until then this is the project's
mail path (``send_mail``), as the account services use. The email names the tool and client,
never a member.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext

from rxportal.clients.domain import Stage
from rxportal.clients.labels import TOOL_LABELS
from rxportal.clients.models import AccessRequest, ToolGrant

logger = logging.getLogger(__name__)


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
    send_mail(subject, body, None, [found.requester.email])
    logger.info("access decision notice sent for request %s", found.public_id)


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
    send_mail(subject, body, None, [grant.user.email])
    logger.info("grant revocation notice sent for grant %s", grant.public_id)
