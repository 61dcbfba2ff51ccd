"""Notices to clients' and advisors' users about their tool access, written to the outbox in the
event's transaction (``notifications.services.notify``; words in the kinds' templates): the
decision on a request, a revocation, and a grant about to end. Each is told once (its
idempotency key). They name the tool and client, never a member.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from rxportal.clients.domain import Stage
from rxportal.clients.labels import TOOL_LABELS
from rxportal.clients.models import AccessRequest, ToolGrant
from rxportal.notifications import services as notifications

# A grant's holder is told this many days before it ends (the daily job; once per threshold).
EXPIRY_WARNING_DAYS = (14, 3)


def _client_phone() -> str:
    return str(settings.RXPORTAL_SUPPORT["client_phone"])


def send_decision_notice(access_request_pk: int) -> None:
    found = (
        AccessRequest.objects.select_related("requester", "client")
        .filter(pk=access_request_pk)
        .first()
    )
    if found is None:
        return
    notifications.notify(
        recipient=found.requester,
        kind="clients.access_decided",
        context={
            "approved": found.stage == Stage.APPROVED,
            "tool": TOOL_LABELS[found.tool],
            "client": found.client.name,
            "reason": found.decision_reason,
            "phone": _client_phone(),
        },
        idempotency_key=str(found.public_id),
    )


def send_revocation_notice(grant_pk: int) -> None:
    grant = ToolGrant.objects.select_related("user", "client").filter(pk=grant_pk).first()
    if grant is None:
        return
    notifications.notify(
        recipient=grant.user,
        kind="clients.grant_revoked",
        context={
            "tool": TOOL_LABELS[grant.tool],
            "client": grant.client.name,
            "reason": grant.revoke_reason,
            "phone": _client_phone(),
        },
        idempotency_key=str(grant.public_id),
    )


def send_expiry_warning(grant: ToolGrant, *, days_before: int) -> None:
    """Tell the holder their grant ends soon; once per grant and threshold however often the
    daily job runs. ``grant`` comes with its user and client."""
    notifications.notify(
        recipient=grant.user,
        kind="clients.grant_expiring",
        context={
            "tool": TOOL_LABELS[grant.tool],
            "client": grant.client.name,
            "ends_on": _local_date(grant.expires_at),
            "phone": _client_phone(),
        },
        idempotency_key=f"{grant.public_id}:{days_before}",
        link_path=reverse("clients:home"),
    )


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()
