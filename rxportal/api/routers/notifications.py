"""The caller's inbox (cursor pages, newest first; one message, audited when it is about
someone's records, as on /notifications/), mark all read, the unread count, and notification
preferences (the services of /notifications/settings/). Scope: Communication; marking read
(opening a message marks it read only with this scope) and changing preferences:
``notifications.write``.

A message about a family member disappears as soon as the caller may no longer see that member
(``notifications.selectors.list_inbox``), on the API as on the page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from rxportal.api.auth import reader_for, token_grant
from rxportal.api.guards import (
    domain_problem,
    not_found,
    require_own_account,
    require_read,
    require_scope,
)
from rxportal.api.problems import Problem, invalid
from rxportal.connected_apps.scopes import NOTIFICATIONS_WRITE
from rxportal.core.errors import NotFound
from rxportal.notifications import kinds, selectors, services
from rxportal.notifications.errors import InvalidNotificationSettings

if TYPE_CHECKING:
    from rxportal.notifications.models import Notification

RESOURCE = "Communication"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100

router = Router(tags=["notifications"])


class MessageOut(Schema):
    id: uuid.UUID
    kind: str
    topic: str | None  # notifications.kinds.Topic code
    subject: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    about_member: uuid.UUID | None


class MessageDetailOut(MessageOut):
    body_text: str
    link_path: str  # a path on this site, or ""


class MessagePageOut(Schema):
    items: list[MessageOut]
    next_cursor: str | None


def _fields(message: Notification) -> dict[str, Any]:
    kind = kinds.KINDS.get(message.kind)
    return {
        "id": message.public_id,
        "kind": message.kind,
        "topic": kind.topic.value if kind else None,
        "subject": message.subject,
        "created_at": message.created_at,
        "read_at": message.read_at,
        "about_member": message.about_member.public_id if message.about_member else None,
    }


def _bad_cursor() -> Problem:
    return Problem(
        400, "invalid-cursor", _("Invalid cursor"), _("That cursor is not in your inbox.")
    )


@router.get("", response=MessagePageOut, summary="Inbox")
def list_messages(
    request: Any, cursor: str | None = None, limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
) -> MessagePageOut:
    """The caller's inbox messages, newest first; ``cursor`` is the previous page's
    ``next_cursor`` (the public id of its last message, which must still be in the inbox)."""
    require_read(request, RESOURCE, search=True)
    inbox = selectors.list_inbox(viewer=request.user)
    if cursor is not None:
        try:
            key = uuid.UUID(cursor)
        except ValueError:
            raise _bad_cursor() from None
        boundary = inbox.filter(public_id=key).values_list("created_at", "id").first()
        if boundary is None:
            raise _bad_cursor()
        created_at, row_id = boundary
        inbox = inbox.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=row_id))
    rows = list(inbox.select_related("about_member")[: limit + 1])
    page = rows[:limit]
    return MessagePageOut(
        items=[MessageOut(**_fields(message)) for message in page],
        next_cursor=str(page[-1].public_id) if len(rows) > limit else None,
    )


class UnreadOut(Schema):
    unread: int


@router.get("/unread-count", response=UnreadOut, summary="Unread count")
def unread_count(request: Any) -> UnreadOut:
    require_read(request, RESOURCE)
    return UnreadOut(unread=selectors.count_unread(viewer=request.user))


class MarkedOut(Schema):
    marked: int


@router.post("/mark-all-read", response=MarkedOut, summary="Mark every message read")
def mark_all_read(request: Any) -> MarkedOut:
    require_scope(request, NOTIFICATIONS_WRITE)
    return MarkedOut(marked=services.mark_all_read(viewer=request.user))


# --- Preferences ---------------------------------------------------------------------------------


class ChannelOut(Schema):
    channel: str  # email, sms, inbox
    offered: bool  # the kind can go by this channel at all
    enabled: bool
    locked: bool  # always sent: cannot be switched off


class KindOut(Schema):
    kind: str
    topic: str
    optional: bool
    channels: list[ChannelOut]


class PreferencesOut(Schema):
    language: str
    quiet_hours_start: dt.time | None
    quiet_hours_end: dt.time | None
    time_zone: str
    kinds: list[KindOut]


def _preferences(user: Any) -> PreferencesOut:
    current = selectors.get_notification_settings(user=user)
    return PreferencesOut(
        language=current.language,
        quiet_hours_start=current.quiet_hours_start,
        quiet_hours_end=current.quiet_hours_end,
        time_zone=current.time_zone,
        kinds=[
            KindOut(
                kind=row.kind.code,
                topic=group.topic.value,
                optional=row.kind.optional,
                channels=[
                    ChannelOut(
                        channel=cell.channel,
                        offered=cell.offered,
                        enabled=cell.enabled,
                        locked=cell.locked,
                    )
                    for cell in row.cells
                ],
            )
            for group in selectors.get_preference_matrix(user=user)
            for row in group.rows
        ],
    )


@router.get("/preferences", response=PreferencesOut, summary="Notification preferences")
def get_preferences(request: Any) -> PreferencesOut:
    require_read(request, RESOURCE)
    require_own_account(request)
    return _preferences(request.user)


class ChannelChoiceIn(Schema):
    kind: str
    channel: str
    enabled: bool


class PreferencesIn(Schema):
    """Only what is given changes. Quiet hours: both ends, or both null to clear them."""

    language: str | None = None
    quiet_hours_start: dt.time | None = None
    quiet_hours_end: dt.time | None = None
    clear_quiet_hours: bool = False
    time_zone: str | None = None
    channels: list[ChannelChoiceIn] = Field(default_factory=list, max_length=200)


def _switched_on(user: Any, choices: list[ChannelChoiceIn]) -> set[tuple[str, str]]:
    """Every (kind, channel) on after these choices: what is on now, changed as asked.
    An unknown kind, a channel the kind does not use, or a locked one switched off is a 422."""
    matrix = selectors.get_preference_matrix(user=user)
    cells = {
        (row.kind.code, cell.channel): cell
        for group in matrix
        for row in group.rows
        for cell in row.cells
    }
    on = {key for key, cell in cells.items() if cell.enabled}
    for choice in choices:
        cell = cells.get((choice.kind, choice.channel))
        if cell is None or not cell.offered:
            raise Problem(
                422,
                "notification.channel_not_offered",
                _("Channel not offered"),
                _("%(kind)s does not go by %(channel)s.")
                % {"kind": choice.kind, "channel": choice.channel},
            )
        if cell.locked and not choice.enabled:
            raise Problem(
                422,
                "notification.not_optional",
                _("Message always sent"),
                _("%(kind)s is always sent by %(channel)s.")
                % {"kind": choice.kind, "channel": choice.channel},
            )
        if choice.enabled:
            on.add((choice.kind, choice.channel))
        else:
            on.discard((choice.kind, choice.channel))
    return on


@router.patch("/preferences", response=PreferencesOut, summary="Change notification preferences")
def update_preferences(request: Any, payload: PreferencesIn) -> PreferencesOut:
    require_scope(request, NOTIFICATIONS_WRITE)
    require_own_account(request)
    for name in ("quiet_hours_start", "quiet_hours_end"):
        value = getattr(payload, name)
        if value is not None and value.tzinfo is not None:
            # Quiet hours are times of day in the member's own time zone (schemathesis found
            # that an offset made saving them a 500).
            raise invalid(
                f"body.{name}",
                _("Give quiet hours as a time of day without an offset (22:00:00)."),
                code="time_with_offset",
            )
    user = request.user
    switched_on = _switched_on(user, payload.channels)
    current = selectors.get_notification_settings(user=user)
    start, end = current.quiet_hours_start, current.quiet_hours_end
    if payload.clear_quiet_hours:
        start = end = None
    elif payload.quiet_hours_start is not None or payload.quiet_hours_end is not None:
        start, end = payload.quiet_hours_start, payload.quiet_hours_end
    try:
        services.save_settings(
            user=user,
            language=payload.language or current.language,
            quiet_hours_start=start,
            quiet_hours_end=end,
            time_zone=payload.time_zone or current.time_zone,
        )
    except InvalidNotificationSettings as error:
        raise domain_problem(error, 422) from None
    if payload.channels:
        services.save_preferences(user=user, switched_on=switched_on, request=request)
    return _preferences(user)


@router.get(
    "/{public_id}",
    response=MessageDetailOut,
    summary="One message (marks it read when the token may: notifications.write)",
)
def get_message(request: Any, public_id: str) -> MessageDetailOut:
    """Needs ``patient/Communication.read``. Marking the message read is a change: only a token
    with ``notifications.write`` does it; with the read scope alone the message stays unread."""
    require_read(request, RESOURCE)
    try:
        wanted = uuid.UUID(public_id)
    except ValueError:
        raise not_found("message") from None
    try:
        message = services.open_inbox_message(
            viewer=request.user,
            public_id=wanted,
            request=request,
            reader=reader_for(request),
            mark_read=token_grant(request).allows(NOTIFICATIONS_WRITE),
        )
    except NotFound:
        raise not_found("message") from None
    link = message.link_path
    # A path on this site only, as the message page shows it (never a way off the portal).
    if not link.startswith("/") or link.startswith("//"):
        link = ""
    return MessageDetailOut(**_fields(message), body_text=message.body_text, link_path=link)
