"""Reads of the outbox for the staff console."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from rxportal.accounts import permissions as perms
from rxportal.accounts.permissions import has_permission
from rxportal.notifications.models import Notification, Status

FAILED_LIST_LIMIT = 200


def list_failed_notifications(
    *, viewer: AbstractBaseUser | AnonymousUser
) -> QuerySet[Notification]:
    """Deliveries parked after their last try, newest first; nothing for anyone else."""
    if not has_permission(viewer, perms.RESEND_NOTIFICATIONS):
        return Notification.objects.none()
    return (
        Notification.objects.filter(status=Status.FAILED)
        .select_related("recipient")
        .order_by("-updated_at")[:FAILED_LIST_LIMIT]
    )
