"""Reads of the outbox: the staff console's failed deliveries, a person's inbox and unread
count, and their notification settings and preferences (facts, no translated text)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Q, QuerySet

from rxportal.accounts import permissions as perms
from rxportal.accounts.permissions import has_permission
from rxportal.members.selectors import (
    is_patient_limited,
    list_family_members_visible_to,
    sees_own_account,
)
from rxportal.notifications import domain, kinds
from rxportal.notifications.models import (
    Channel,
    Notification,
    NotificationPreference,
    NotificationSettings,
    Status,
)

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


# --- A person's inbox ------------------------------------------------------------------------

INBOX_PAGE_SIZE = 20
UNREAD_COUNT_SECONDS = 300


def list_inbox(*, viewer: AbstractBaseUser | AnonymousUser) -> QuerySet[Notification]:
    """The viewer's own inbox messages, newest first (nothing for anyone signed out): those
    about no member's records, or about a member the viewer may see today."""
    if not viewer.is_authenticated:
        return Notification.objects.none()
    return _own_inbox(viewer).order_by("-created_at", "-id")


def _own_inbox(viewer: AbstractBaseUser | AnonymousUser) -> QuerySet[Notification]:
    """The viewer's inbox rows that the one access rule still lets them read: a message about
    an adult dependent disappears the moment that dependent revokes their consent. Two small
    queries for the visible members (``list_family_members_visible_to``: the viewer's own
    record first, then the family members they may see)."""
    members = list_family_members_visible_to(viewer=viewer)
    about_visible = Q(about_member_id__in=[member.pk for member in members])
    # A message about no member is about the viewer's own account: hidden from an app bound to
    # another patient (a parent who shared only a child's records).
    if sees_own_account(viewer, members):
        about_visible |= Q(about_member__isnull=True)
    return Notification.objects.filter(about_visible, recipient_id=viewer.pk, channel=Channel.INBOX)


def find_inbox_message(
    *, viewer: AbstractBaseUser | AnonymousUser, public_id: uuid.UUID
) -> Notification | None:
    """One inbox message, only if it is the viewer's (another's id: None, as if it did not exist)."""
    return list_inbox(viewer=viewer).filter(public_id=public_id).first()


def unread_count_cache_key(viewer: AbstractBaseUser | AnonymousUser) -> str:
    """Where ``count_unread`` keeps the viewer's count: a page that reads other cache keys first
    (the member dashboard's version numbers) reads this one in the same round trip."""
    # The public id, not the row id: a test database reuses row ids; no PHI in the key.
    return f"notifications:unread:{getattr(viewer, 'public_id', viewer.pk)}"


def count_unread(
    *, viewer: AbstractBaseUser | AnonymousUser, prefetched: Mapping[str, object] | None = None
) -> int:
    """The header's unread count: one indexed count, cached until a message arrives or is read,
    or a consent to see a family member's records is revoked (members' revoke forgets it).
    ``prefetched``: what a ``get_many`` that included ``unread_count_cache_key`` found (a key
    absent from it is a miss), so the count costs no round trip of its own."""
    if not viewer.is_authenticated:
        return 0
    if is_patient_limited():
        # An app bound to one patient counts only hers: the cached count is the whole inbox.
        return _own_inbox(viewer).filter(read_at__isnull=True).count()
    key = unread_count_cache_key(viewer)
    cached = prefetched.get(key) if prefetched is not None else cache.get(key)
    if isinstance(cached, int):
        return cached
    count = _own_inbox(viewer).filter(read_at__isnull=True).count()
    cache.set(key, count, UNREAD_COUNT_SECONDS)
    return count


def forget_unread_count(viewer: AbstractBaseUser | AnonymousUser) -> None:
    cache.delete(unread_count_cache_key(viewer))


def forget_unread_counts(viewers: Iterable[AbstractBaseUser]) -> None:
    """``forget_unread_count`` for the many people a job told at once (one cache call)."""
    keys = {unread_count_cache_key(viewer) for viewer in viewers}
    if keys:
        cache.delete_many(list(keys))


# --- Settings and preferences ----------------------------------------------------------------


@dataclass(frozen=True)
class PersonSettings:
    language: str
    quiet_hours_start: dt.time | None
    quiet_hours_end: dt.time | None
    time_zone: str


def get_notification_settings(*, user: AbstractBaseUser) -> PersonSettings:
    """A person's settings; the site's language and time zone until they save their own."""
    found = NotificationSettings.objects.filter(user_id=user.pk).first()
    if found is None:
        return PersonSettings(str(settings.LANGUAGE_CODE), None, None, str(settings.TIME_ZONE))
    return PersonSettings(
        found.language, found.quiet_hours_start, found.quiet_hours_end, found.time_zone
    )


def get_channel_choices(*, user: AbstractBaseUser, kind: str) -> dict[str, bool]:
    """The person's stored departures for one kind: channel -> on/off."""
    return dict(
        NotificationPreference.objects.filter(user_id=user.pk, kind=kind).values_list(
            "channel", "enabled"
        )
    )


def get_channel_choices_by_kind(*, user: AbstractBaseUser) -> dict[str, dict[str, bool]]:
    choices: dict[str, dict[str, bool]] = {}
    for kind, channel, enabled in NotificationPreference.objects.filter(
        user_id=user.pk
    ).values_list("kind", "channel", "enabled"):
        choices.setdefault(kind, {})[channel] = enabled
    return choices


@dataclass(frozen=True)
class ChannelCell:
    channel: str
    offered: bool  # the kind can go by this channel at all
    enabled: bool
    locked: bool  # always sent: the person cannot switch it off


@dataclass(frozen=True)
class KindRow:
    kind: kinds.Kind
    cells: tuple[ChannelCell, ...]


@dataclass(frozen=True)
class TopicGroup:
    topic: kinds.Topic
    rows: tuple[KindRow, ...]


def get_preference_matrix(*, user: AbstractBaseUser) -> list[TopicGroup]:
    """Every kind, grouped by topic, with each channel's state for the settings page."""
    choices = get_channel_choices_by_kind(user=user)
    by_topic: dict[kinds.Topic, list[KindRow]] = {}
    for kind in kinds.KINDS.values():
        enabled = set(
            domain.resolve_channels(
                kind_channels=kind.channels,
                default_channels=kind.default_channels,
                optional=kind.optional,
                choices=choices.get(kind.code, {}),
                reachable=kinds.ALL_CHANNELS,
            )
        )
        cells = tuple(
            ChannelCell(
                channel=channel,
                offered=channel in kind.channels,
                enabled=channel in enabled,
                locked=not kind.optional and channel in kind.default_channels,
            )
            for channel in kinds.ALL_CHANNELS
        )
        by_topic.setdefault(kind.topic, []).append(KindRow(kind, cells))
    return [TopicGroup(topic, tuple(by_topic[topic])) for topic in kinds.Topic if topic in by_topic]
