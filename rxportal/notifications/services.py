"""The outbox's use cases: enqueue a message, deliver it once, resend a failed one.

``enqueue`` writes the row in the caller's transaction and asks Celery to deliver it once that
transaction commits; a rolled-back event sends nothing. If the task is lost (worker down,
broker restarted), ``deliver_due_notifications`` (Celery beat, every minute) finds the row.
``deliver_notification`` sends a row at most once: it holds the row's lock while it sends and
only a queued row whose time has come is sent, so two workers never both send it (a batch,
``deliver_notification_batch``, claims its rows under a lease instead). A failed try
is retried with back-off, and after the last one the row is parked as failed for the staff
console (``resend_notification``).

One-time codes take a shorter path through the same outbox (``send_code_message``): the same
row insert and worker, so sending a code costs a request what sending a notice costs (the
registration and recovery enumeration tests rely on it), but only a few tries within the
code's lifetime, no resend, and the row's content is erased the moment it is sent or parked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.template import Context, TemplateDoesNotExist, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from rxportal.accounts import permissions as perms
from rxportal.accounts.models import User
from rxportal.accounts.permissions import has_permission
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.core import clock
from rxportal.core.errors import NotFound
from rxportal.notifications import domain, gateways, kinds, selectors
from rxportal.notifications.errors import (
    ChannelNotOffered,
    DeliveryFailed,
    InvalidNotificationSettings,
    InvalidUnsubscribeLink,
    KindNotOptional,
    NotificationNotResendable,
)
from rxportal.notifications.models import (
    WITHDRAWN_ACCESS,
    Notification,
    NotificationPreference,
    NotificationSettings,
    Status,
)
from rxportal.notifications.models import Channel as Channel  # re-exported for callers
from rxportal.records.reads import Edge, Reader, record_phi_read

if TYPE_CHECKING:
    from rxportal.members.models import Member
    from rxportal.records.reads import Reader

logger = logging.getLogger(__name__)

ACTION_RESENT = "notification.resent"
DUE_BATCH_SIZE = 500


class DeliveryResult(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # already sent, parked, not due yet, or another worker holds it


@dataclass(frozen=True)
class Delivery:
    result: DeliveryResult
    next_attempt_at: dt.datetime | None = None


def enqueue(
    *,
    kind: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    recipient: User | None = None,
    to_address: str = "",
    channel: str = Channel.EMAIL,
    language: str | None = None,
    idempotency_key: str = "",
    link_path: str = "",
    not_before: dt.datetime | None = None,
    about_member_id: int | None = None,
) -> Notification:
    """Write one message to the outbox, to be delivered after the current transaction commits.

    Call it inside the event's transaction. ``to_address`` defaults to the recipient's email.
    The same ``idempotency_key`` on the same channel gives back the first row, unsent twice.
    ``not_before`` holds the row back (a text in quiet hours); the sweep sends it then.
    ``about_member_id``: the member whose records the message is about (see ``notify``).
    """
    via = Channel(channel)
    address = to_address or (str(getattr(recipient, "email", "")) if via == Channel.EMAIL else "")
    notification = Notification(
        recipient=recipient,
        to_address=address,
        kind=kind,
        channel=via,
        language=language or translation.get_language() or "en",
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        idempotency_key=idempotency_key or uuid.uuid4().hex,
        link_path=link_path,
        next_attempt_at=not_before or clock.now(),
        about_member_id=about_member_id,
    )
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        return Notification.objects.get(channel=via, idempotency_key=notification.idempotency_key)
    transaction.on_commit(partial(_schedule_delivery, notification.public_id))
    if via == Channel.INBOX and recipient is not None:
        # Now, and again once the row is visible to others (a count read in between is stale).
        selectors.forget_unread_count(recipient)
        transaction.on_commit(partial(selectors.forget_unread_count, recipient))
    return notification


def notify(
    *,
    recipient: User,
    kind: str,
    context: Mapping[str, Any],
    idempotency_key: str,
    link_path: str = "",
    about_member: Member | None = None,
) -> list[Notification]:
    """Tell a person about an event: one outbox row per channel they receive ``kind`` on.

    Call it inside the event's transaction. The words come from the kind's templates
    (``kinds.Kind.template_dir``), rendered now in the person's language; ``context`` holds
    facts (names, dates, amounts). Email and text name no drug or condition (they leave the
    portal); the inbox, behind sign-in, says it all. ``link_path`` is the portal page the
    message is about. The same ``idempotency_key`` gives back the rows already written: a job
    that runs twice tells the person once. ``about_member``: the member whose records the
    message is about (a prescription, an order, a claim); the inbox shows it, and an email or
    text goes out, only while the recipient may see that member (``selectors.list_inbox``).
    """
    found = kinds.get_kind(kind)
    language = language_for(recipient)
    with translation.override(language):
        message = render_message(found, context)
    rows = []
    channels = channels_for(recipient, found)
    text_not_before = _end_of_quiet_hours(recipient) if Channel.SMS in channels else None
    for channel in channels:
        body_text = {
            Channel.EMAIL: message.body_text,
            Channel.SMS: message.sms_text,
            Channel.INBOX: message.inbox_text,
        }[Channel(channel)]
        rows.append(
            enqueue(
                kind=kind,
                recipient=recipient,
                channel=channel,
                subject=message.subject,
                body_text=body_text,
                body_html=message.body_html if channel == Channel.EMAIL else "",
                language=language,
                idempotency_key=_person_key(kind, recipient, idempotency_key),
                link_path=link_path,
                not_before=text_not_before if channel == Channel.SMS else None,
                about_member_id=about_member.pk if about_member is not None else None,
            )
        )
    return rows


def _person_key(kind: str, recipient: User, idempotency_key: str) -> str:
    """The key is the person's: one event (a dependent's refill) may tell two people (the
    dependent and the subscriber), each once. Too long for the column: its digest."""
    key = f"{kind}:{recipient.pk}:{idempotency_key}"
    if len(key) > IDEMPOTENCY_KEY_LENGTH:
        key = f"{kind[:40]}:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


IDEMPOTENCY_KEY_LENGTH = 128


def language_for(recipient: User) -> str:
    """The language a person reads their messages in: their setting, else the site's."""
    return selectors.get_notification_settings(user=recipient).language


def channels_for(recipient: User, kind: kinds.Kind) -> list[str]:
    """The channels ``recipient`` gets ``kind`` on: the kind's defaults adjusted by their
    preferences; email only with an address, texts only to a confirmed mobile number."""
    choices = selectors.get_channel_choices(user=recipient, kind=kind.code)
    wanted = domain.resolve_channels(
        kind_channels=kind.channels,
        default_channels=kind.default_channels,
        optional=kind.optional,
        choices=choices,
        reachable=ALL_CHANNELS,
    )
    reachable = {Channel.INBOX.value}
    if recipient.email:
        reachable.add(Channel.EMAIL.value)
    if Channel.SMS in wanted and _has_confirmed_mobile(recipient):
        reachable.add(Channel.SMS.value)
    return [channel for channel in wanted if channel in reachable]


ALL_CHANNELS = tuple(Channel.values)


def _has_confirmed_mobile(user: User) -> bool:
    # accounts' services import this module, so its selectors are imported when needed.
    from rxportal.accounts.selectors import find_verified_sms_phone

    return bool(find_verified_sms_phone(user_id=user.pk))


def _end_of_quiet_hours(recipient: User) -> dt.datetime | None:
    found = selectors.get_notification_settings(user=recipient)
    return domain.end_of_quiet_hours(
        clock.now(),
        start=found.quiet_hours_start,
        end=found.quiet_hours_end,
        time_zone=found.time_zone,
    )


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body_text: str  # email, plain text
    body_html: str  # email, HTML ("" when the kind has none)
    sms_text: str  # a text message: sms.txt, or the subject
    inbox_text: str  # the in-app inbox: inbox.txt, or the email's plain text


def render_message(kind: kinds.Kind, context: Mapping[str, Any]) -> RenderedMessage:
    """The kind's templates: subject.txt and body.txt required; body.html, sms.txt and
    inbox.txt optional."""
    folder = kind.template_dir
    subject = " ".join(_render_plain_text(f"{folder}/subject.txt", context).split())
    body_text = _render_plain_text(f"{folder}/body.txt", context)
    body_html: str
    try:
        body_html = render_to_string(f"{folder}/body.html", context)
    except TemplateDoesNotExist:
        body_html = ""
    try:
        sms_text = " ".join(_render_plain_text(f"{folder}/sms.txt", context).split())
    except TemplateDoesNotExist:
        sms_text = subject
    try:
        inbox_text = _render_plain_text(f"{folder}/inbox.txt", context)
    except TemplateDoesNotExist:
        inbox_text = body_text
    return RenderedMessage(subject, body_text, body_html, sms_text, inbox_text)


def _render_plain_text(name: str, context: Mapping[str, Any]) -> str:
    """Plain text is not HTML: "&" and quotes in a drug's name stay as they are."""
    template = engines["django"].engine.get_template(name)  # type: ignore[attr-defined]
    return str(template.render(Context(dict(context), autoescape=False)))


def _schedule_delivery(public_id: uuid.UUID) -> None:
    from rxportal.notifications.tasks import deliver_notification  # tasks import this module

    deliver_notification.delay(str(public_id))


def send_code_message(
    *,
    kind: str,
    recipient: User | None,
    channel: str,
    to_address: str,
    subject: str = "",
    body_text: str,
    language: str | None = None,
) -> Notification:
    """A one-time code: the same outbox row and worker (so a request that sends a code costs
    what one that sends a notice costs), but tried at most ``domain.MAX_CODE_ATTEMPTS`` times
    within the code's lifetime, never resent, and its content erased once sent or parked."""
    via = Channel(channel)
    notification = Notification(
        recipient=recipient,
        to_address=to_address,
        kind=kind,
        channel=via,
        language=language or translation.get_language() or "en",
        subject=subject,
        body_text=body_text,
        is_code=True,
        idempotency_key=uuid.uuid4().hex,
        next_attempt_at=clock.now(),
    )
    notification.save(force_insert=True)
    transaction.on_commit(partial(_schedule_delivery, notification.public_id))
    return notification


def _send(notification: Notification, *, mail: gateways.MailSession | None = None) -> None:
    """Send the row as written. ``mail``: a batch's open mail connection (else the message
    opens its own)."""
    if notification.channel == Channel.EMAIL:
        send_email = mail.send if mail else gateways.send_email
        send_email(
            to=notification.to_address,
            subject=notification.subject,
            body_text=notification.body_text,
            body_html=notification.body_html,
            headers=_unsubscribe_headers(notification),
        )
    elif notification.channel == Channel.SMS:
        gateways.send_text(
            to=notification.to_address or _sms_number(notification), body=notification.body_text
        )
    # Channel.INBOX: the row is the message; the inbox page reads it.


def _mark_sent(notification: Notification, *, now: dt.datetime) -> None:
    """In memory; the caller saves (a code's content is erased as it is marked)."""
    notification.status = Status.SENT
    notification.sent_at = now
    notification.last_error_code = ""
    _forget_code(notification)


def _sms_number(notification: Notification) -> str:
    # accounts' services import this module, so its selectors are imported when needed.
    from rxportal.accounts.selectors import find_verified_sms_phone

    phone = find_verified_sms_phone(user_id=notification.recipient_id)
    if not phone:
        raise DeliveryFailed("No confirmed mobile number.", code="sms.no_number")
    return phone


def deliver_notification(*, public_id: uuid.UUID, now: dt.datetime) -> Delivery:
    """Send one queued row whose time has come, at most once (safe to run twice, in parallel)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                public_id=public_id,
                status=Status.QUEUED,
                next_attempt_at__lte=now,
            )
            .first()
        )
        if notification is None:
            return Delivery(DeliveryResult.SKIPPED)
        if not _may_still_see(notification, _viewers_of([notification], now=now)):
            notification.status = Status.FAILED
            notification.last_error_code = WITHDRAWN_ACCESS
            notification.save(update_fields=["status", "last_error_code", "updated_at"])
            return Delivery(DeliveryResult.FAILED)
        notification.attempts += 1
        try:
            _send(notification)
        except DeliveryFailed as error:
            return _record_failure(notification, code=error.code, now=now)
        _mark_sent(notification, now=now)
        notification.save(update_fields=[*SENT_FIELDS, *CONTENT_FIELDS])
    return Delivery(DeliveryResult.SENT)


def rehearse_delivery(*, public_id: uuid.UUID, now: dt.datetime) -> None:
    """``deliver_notification``'s statements for a stand-in's row, sending nothing: for a caller
    whose other path delivers a real message inline (tasks run in the request) and which must
    not take more or less work either way; the caller rolls the row back afterwards (the
    sign-in pause's notice for an unknown name, ``accounts.services.lockout``)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(public_id=public_id, status=Status.QUEUED, next_attempt_at__lte=now)
            .first()
        )
        if notification is None:
            return
        notification.attempts += 1
        _mark_sent(notification, now=now)
        notification.save(update_fields=[*SENT_FIELDS, *CONTENT_FIELDS])


SENT_FIELDS = ("status", "attempts", "sent_at", "last_error_code", "updated_at")
CONTENT_FIELDS = ("subject", "body_text", "body_html", "to_address")
FAILURE_FIELDS = ("status", "attempts", "next_attempt_at", "last_error_code", "updated_at")


def _forget_code(notification: Notification) -> None:
    """A code's row keeps no content once it is sent or parked (the delivery log stays)."""
    if notification.is_code:
        notification.subject = notification.body_text = notification.body_html = ""
        notification.to_address = ""


def _record_failure(
    notification: Notification, *, code: str, now: dt.datetime, claim: dt.datetime | None = None
) -> Delivery:
    logger.warning(
        "notification %s try %s failed: %s", notification.public_id, notification.attempts, code
    )
    notification.last_error_code = code
    if domain.is_last_attempt(notification.attempts, is_code=notification.is_code):
        notification.status = Status.FAILED
        _forget_code(notification)
        delivery = Delivery(DeliveryResult.FAILED)
    else:
        notification.next_attempt_at = now + domain.compute_retry_delay(notification.attempts)
        delivery = Delivery(DeliveryResult.RETRY, notification.next_attempt_at)
    if claim is None:  # the row is locked in this transaction
        notification.save(update_fields=[*FAILURE_FIELDS, *CONTENT_FIELDS])
    else:
        _save_claimed(notification, FAILURE_FIELDS, claim=claim)
    return delivery


def deliver_due_notifications(*, now: dt.datetime, limit: int = DUE_BATCH_SIZE) -> int:
    """The sweep: send queued rows whose time has come (their task was lost or is late, a
    retry is due, or the lease of a worker that died with them ended), as one batch."""
    due = list(
        Notification.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return deliver_notification_batch(ids=due, now=now)


def resend_notification(
    *,
    public_id: uuid.UUID,
    actor: AbstractBaseUser | AnonymousUser,
    request: HttpRequest | None = None,
) -> Notification:
    """Staff put a failed delivery back in the queue (audited); it goes out after commit."""
    if not has_permission(actor, perms.RESEND_NOTIFICATIONS):
        raise NotFound("No such delivery.")
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(public_id=public_id).first()
        if notification is None:
            raise NotFound("No such delivery.")
        if not notification.can_resend:
            raise NotificationNotResendable("This delivery cannot be sent again.")
        notification.status = Status.QUEUED
        notification.attempts = 0
        notification.next_attempt_at = clock.now()
        notification.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        record_event(
            action=ACTION_RESENT,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=notification,
            details={"kind": notification.kind, "channel": notification.channel},
        )
        transaction.on_commit(partial(_schedule_delivery, notification.public_id))
    return notification


# --- Many messages of one kind at once (scheduled jobs: refill reminders) ----------------------

DELIVERY_BATCH_SIZE = 500
# A fact's place in a template rendered once for many people: private-use characters, which no
# text contains and which neither whitespace clean-up nor HTML escaping touches.
_OPEN, _CLOSE = "\ue000", "\ue001"
_SLOT = re.compile(f"{_OPEN}([A-Za-z_][A-Za-z0-9_]*){_CLOSE}")


@dataclass(frozen=True)
class BulkMessage:
    """One person's message in ``notify_many``.

    ``facts`` are the per-person words (names, a drug, a date), put into the rendered text as
    they are (HTML-escaped in the HTML); a date is formatted in the person's language.
    ``variant`` holds the few switches the templates branch on (``{% if about_self %}``): the
    templates are rendered once per language and variant, never once per person.
    """

    recipient: User
    facts: Mapping[str, str | dt.date]
    idempotency_key: str
    variant: tuple[tuple[str, Any], ...] = ()
    link_path: str = ""
    about_member_id: int | None = None  # whose records it is about (see ``notify``)


def notify_many(
    *, kind: str, messages: Iterable[BulkMessage], batch_size: int = DELIVERY_BATCH_SIZE
) -> int:
    """``notify`` for a job that tells many people at once; returns the rows written.

    Call it inside the job's transaction: the rows are inserted in bulk and ignored where the
    same kind, person and idempotency key already has a row on that channel (a rerun tells
    nobody twice; the key is made the person's, as in ``notify``). After commit, one Celery task per ``batch_size`` new rows delivers them
    (``deliver_notification_batch``), each row still at most once.
    """
    found = kinds.get_kind(kind)
    renders: dict[tuple[str, tuple[tuple[str, Any], ...], frozenset[str]], _Prerendered] = {}
    dates: dict[tuple[str, dt.date], str] = {}
    now = clock.now()
    # Plain tuples in ``_OUTBOX_COLUMNS`` order, not model instances: a job writes many.
    rows: list[tuple[Any, ...]] = []
    told_in_inbox: list[User] = []
    new_public_id = _public_id_maker()
    stamp = connection.ops.adapt_datetimefield_value(now)
    for message in messages:
        language = language_for(message.recipient)
        key = (language, message.variant, frozenset(message.facts))
        if key not in renders:
            renders[key] = _prerender(found, language, message.variant, message.facts)
        facts = {
            name: _format_fact(value, language, dates) for name, value in message.facts.items()
        }
        rendered = renders[key].fill(facts)
        channels = channels_for(message.recipient, found)
        if Channel.INBOX in channels:
            told_in_inbox.append(message.recipient)
        # A text in the person's quiet hours waits for their end (the sweep sends it then).
        text_not_before = (
            _end_of_quiet_hours(message.recipient) if Channel.SMS in channels else None
        )
        for channel in channels:
            via = Channel(channel)
            body_text = {
                Channel.EMAIL: rendered.body_text,
                Channel.SMS: rendered.sms_text,
                Channel.INBOX: rendered.inbox_text,
            }[via]
            rows.append(
                (
                    new_public_id(), stamp, stamp, message.recipient.pk,
                    str(message.recipient.email) if via == Channel.EMAIL else "",
                    kind, via.value, language, rendered.subject, body_text,
                    rendered.body_html if via == Channel.EMAIL else "", message.link_path,
                    False, _person_key(kind, message.recipient, message.idempotency_key),
                    Status.QUEUED.value, 0,
                    (text_not_before or stamp) if via == Channel.SMS else stamp, "",
                    message.about_member_id,
                )
            )  # fmt: skip
    # Rows that meet an earlier one are not inserted: only this call's new ids come back.
    written = _insert_new_rows(rows)
    if told_in_inbox:
        # The header's unread counts: now, and again once the rows are visible to others.
        selectors.forget_unread_counts(told_in_inbox)
        transaction.on_commit(partial(selectors.forget_unread_counts, told_in_inbox))
    for start in range(0, len(written), batch_size):
        transaction.on_commit(
            partial(_schedule_batch_delivery, written[start : start + batch_size])
        )
    return len(written)


_OUTBOX_COLUMNS = (
    "public_id", "created_at", "updated_at", "recipient_id", "to_address", "kind", "channel",
    "language", "subject", "body_text", "body_html", "link_path", "is_code", "idempotency_key",
    "status", "attempts", "next_attempt_at", "last_error_code", "about_member_id",
)  # fmt: skip
_INSERT_ROWS_PER_STATEMENT = 1000  # 18,000 parameters: under PostgreSQL's and SQLite's limits


def _public_id_maker() -> Callable[[], Any]:
    """New public ids as this database stores a UUIDField (native, or 32 hex digits)."""
    if connection.features.has_native_uuid_field:
        return uuid.uuid4
    return lambda: uuid.uuid4().hex


def _insert_new_rows(rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Insert outbox rows (``_OUTBOX_COLUMNS``), skipping any whose channel and idempotency key
    already have one; returns the new rows' ids, in order.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` per thousand rows: no model instance
    per row, and no second query to find what was inserted. On PostgreSQL the rows go as one
    array per column (``unnest``): a short statement that psycopg prepares once, where a
    thousand ``VALUES`` tuples cost it more to parse than the database takes to insert them.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in _OUTBOX_COLUMNS)
    table = quote(Notification._meta.db_table)
    if connection.vendor == "postgresql":
        fields = {field.column: field for field in Notification._meta.concrete_fields}
        # Each column's array in its field's own type.
        arrays = ", ".join(f"%s::{fields[name].db_type(connection)}[]" for name in _OUTBOX_COLUMNS)
        source = f"SELECT * FROM unnest({arrays})"  # noqa: S608 (our column types)
    written: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _INSERT_ROWS_PER_STATEMENT):
            chunk = rows[start : start + _INSERT_ROWS_PER_STATEMENT]
            if connection.vendor == "postgresql":
                params = [list(column) for column in zip(*chunk, strict=True)]
            else:
                one_row = "(" + ", ".join(["%s"] * len(_OUTBOX_COLUMNS)) + ")"
                source = "VALUES " + ", ".join([one_row] * len(chunk))
                params = [value for row in chunk for value in row]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) {source} "
                "ON CONFLICT (channel, idempotency_key) DO NOTHING RETURNING id",
                params,
            )
            written.extend(pk for (pk,) in cursor.fetchall())
    return sorted(written)


@dataclass(frozen=True)
class _Prerendered:
    """A kind's templates rendered once with a slot for each fact, split at the slots."""

    parts: RenderedMessage  # the words with a slot (``_SLOT``) where each fact goes

    def fill(self, facts: Mapping[str, str]) -> RenderedMessage:
        escaped = {name: str(escape(value)) for name, value in facts.items()}
        # One line, as render_message makes them: a line break in a fact is no header line.
        return RenderedMessage(
            subject=" ".join(_fill(self.parts.subject, facts).split()),
            body_text=_fill(self.parts.body_text, facts),
            body_html=_fill(self.parts.body_html, escaped),
            sms_text=" ".join(_fill(self.parts.sms_text, facts).split()),
            inbox_text=_fill(self.parts.inbox_text, facts),
        )


def _prerender(
    kind: kinds.Kind,
    language: str,
    variant: tuple[tuple[str, Any], ...],
    facts: Mapping[str, object],
) -> _Prerendered:
    slots = {name: f"{_OPEN}{name}{_CLOSE}" for name in facts}
    with translation.override(language):
        message = render_message(kind, {**dict(variant), **slots})
    for text in message.__dict__.values():
        # A filter on a fact ({{ name|upper }}) would change its slot: refuse such a template.
        found = _SLOT.findall(text)
        if any(name not in slots for name in found) or not (
            text.count(_OPEN) == text.count(_CLOSE) == len(found)
        ):
            raise ValueError(f"{kind.code}: facts must be printed as they are, without filters")
    return _Prerendered(message)


def _fill(text: str, facts: Mapping[str, str]) -> str:
    return _SLOT.sub(lambda match: facts[match.group(1)], text) if _OPEN in text else text


def _format_fact(value: str | dt.date, language: str, cache: dict[tuple[str, dt.date], str]) -> str:
    if not isinstance(value, dt.date):
        return value
    if (language, value) not in cache:
        with translation.override(language):
            cache[(language, value)] = date_format(value, "DATE_FORMAT")
    return cache[(language, value)]


def _schedule_batch_delivery(ids: list[int]) -> None:
    from rxportal.notifications.tasks import deliver_notification_batch

    deliver_notification_batch.delay(ids)


def deliver_notification_batch(*, ids: Sequence[int], now: dt.datetime) -> int:
    """Deliver these rows (a task's batch, or the sweep's), each at most once; returns how
    many were sent.

    Inbox rows are the message itself: they are marked delivered in one statement, on the rows
    this worker could lock. The others are claimed in one short transaction: their
    ``next_attempt_at`` moves to the end of a lease (``RXPORTAL_OUTBOX_LEASE_SECONDS``), so no
    other worker, task or sweep takes them meanwhile. Then, over one mail connection, each is
    sent and marked sent (or its failure recorded) by one autocommit ``UPDATE`` right after its
    send, which only touches a row still under this claim. Sending stops at half the lease; the
    rest wait for its end. A worker killed mid-batch has committed what it sent; the message it
    was sending is in doubt, as when a worker used to die between send and commit, and like
    the rest of the batch it is queued and due again when the lease ends: the sweep sends it.
    """
    with transaction.atomic():
        inbox = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=ids, channel=Channel.INBOX, status=Status.QUEUED, next_attempt_at__lte=now
            )
            .values_list("pk", flat=True)
        )
        sent = Notification.objects.filter(pk__in=inbox).update(
            status=Status.SENT, sent_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    lease = dt.timedelta(seconds=settings.RXPORTAL_OUTBOX_LEASE_SECONDS)
    send_until = time.monotonic() + lease.total_seconds() / 2
    claim = _claim(ids, now=now, lease_ends=now + lease)
    viewers = _viewers_of(claim, now=now)
    with gateways.MailSession() as mail:
        for notification in claim:
            if time.monotonic() > send_until:
                logger.warning("outbox batch stopped at half its lease; the rest wait for it")
                break
            if not _may_still_see(notification, viewers):
                notification.status = Status.FAILED
                notification.last_error_code = WITHDRAWN_ACCESS
                _save_claimed(notification, ("status", "last_error_code"), claim=now + lease)
                continue
            sent += _deliver_claimed(notification, claim=now + lease, now=now, mail=mail)
    return sent


# --- Preferences, settings and one-click unsubscribe -------------------------------------------

UNSUBSCRIBE_SALT = "rxportal.notifications.unsubscribe"
ACTION_PREFERENCE_CHANGED = "notification.preference.changed"
ACTION_UNSUBSCRIBED = "notification.unsubscribed"
ACTION_INBOX_READ = "phi.notification.viewed"


def set_preference(*, user: User, kind: str, channel: str, enabled: bool) -> None:
    """Switch one kind on one channel for a person. Only departures from the kind's default are
    stored; a kind that is not optional cannot be switched off (``KindNotOptional``)."""
    found = kinds.get_kind(kind)
    if channel not in found.channels:
        raise ChannelNotOffered("This message does not go by that channel.")
    is_default = channel in found.default_channels
    if not enabled and is_default and not found.optional:
        raise KindNotOptional("This message is always sent.")
    if enabled == is_default:
        NotificationPreference.objects.filter(user=user, kind=kind, channel=channel).delete()
    else:
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, channel=channel, defaults={"enabled": enabled}
        )


def save_preferences(
    *,
    user: User,
    switched_on: Collection[tuple[str, str]],
    request: HttpRequest | None = None,
) -> int:
    """The settings page's matrix: every optional (kind, channel) is on exactly when it is in
    ``switched_on``; locked ones are left alone. Returns how many changed (audited, counts only)."""
    before = selectors.get_channel_choices_by_kind(user=user)
    changed = 0
    with transaction.atomic():
        for kind in kinds.KINDS.values():
            for channel in kind.channels:
                if not kind.optional and channel in kind.default_channels:
                    continue  # locked on
                enabled = (kind.code, channel) in switched_on
                was = before.get(kind.code, {}).get(channel, channel in kind.default_channels)
                if enabled != was:
                    set_preference(user=user, kind=kind.code, channel=channel, enabled=enabled)
                    changed += 1
        if changed:
            record_event(
                action=ACTION_PREFERENCE_CHANGED,
                outcome=Outcome.SUCCESS,
                actor=user,
                request=request,
                details={"count": changed},
            )
    return changed


def save_settings(
    *,
    user: User,
    language: str,
    quiet_hours_start: dt.time | None,
    quiet_hours_end: dt.time | None,
    time_zone: str,
) -> None:
    """A person's language for messages and quiet hours for texts (both ends, or neither)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise InvalidNotificationSettings("Unknown language.", code="notification.language")
    if (quiet_hours_start is None) != (quiet_hours_end is None):
        raise InvalidNotificationSettings(
            "Quiet hours need a start and an end.", code="notification.quiet_hours"
        )
    if time_zone not in available_timezones():
        raise InvalidNotificationSettings("Unknown time zone.", code="notification.time_zone")
    NotificationSettings.objects.update_or_create(
        user=user,
        defaults={
            "language": language,
            "quiet_hours_start": quiet_hours_start,
            "quiet_hours_end": quiet_hours_end,
            "time_zone": time_zone,
        },
    )


def make_unsubscribe_token(*, user: User, kind: str, channel: str = Channel.EMAIL) -> str:
    """A signed token naming a person (public id), a kind and a channel; never any PHI."""
    return signing.dumps(
        {"u": str(user.public_id), "k": kind, "c": str(channel)}, salt=UNSUBSCRIBE_SALT
    )


@dataclass(frozen=True)
class UnsubscribeRequest:
    user: User
    kind: kinds.Kind
    channel: str


def read_unsubscribe_token(token: str) -> UnsubscribeRequest:
    """What a List-Unsubscribe link asks; ``InvalidUnsubscribeLink`` if tampered with."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        kind = kinds.get_kind(payload["k"])
        user = User.objects.get(public_id=uuid.UUID(payload["u"]), is_active=True)
        channel = Channel(payload["c"]).value
    except (signing.BadSignature, kinds.UnknownKind, User.DoesNotExist, KeyError, ValueError):
        raise InvalidUnsubscribeLink("This unsubscribe link is not valid.") from None
    if not kind.optional or channel not in kind.channels:
        raise InvalidUnsubscribeLink("This unsubscribe link is not valid.")
    return UnsubscribeRequest(user=user, kind=kind, channel=channel)


def unsubscribe(*, token: str, request: HttpRequest | None = None) -> UnsubscribeRequest:
    """RFC 8058 one-click: switch the token's kind off on its channel (audited, ids only)."""
    found = read_unsubscribe_token(token)
    with transaction.atomic():
        set_preference(user=found.user, kind=found.kind.code, channel=found.channel, enabled=False)
        record_event(
            action=ACTION_UNSUBSCRIBED,
            outcome=Outcome.SUCCESS,
            actor=found.user,
            request=request,
            subject=found.user,
            details={"kind": found.kind.code, "channel": found.channel},
        )
    return found


def unsubscribe_url(*, user: User, kind: str) -> str:
    path = reverse("notifications:unsubscribe", args=[make_unsubscribe_token(user=user, kind=kind)])
    return settings.RXPORTAL_BASE_URL.rstrip("/") + path


def _unsubscribe_headers(notification: Notification) -> dict[str, str]:
    """RFC 8058 headers for an email of an optional kind to a person with an account."""
    found = kinds.KINDS.get(notification.kind)
    if found is None or not found.optional or notification.recipient is None:
        return {}
    url = unsubscribe_url(user=notification.recipient, kind=found.code)
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- The in-app inbox ------------------------------------------------------------------------


def open_inbox_message(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    public_id: uuid.UUID,
    request: HttpRequest | None,
    reader: Reader | None = None,
    mark_read: bool = True,
) -> Notification:
    """One of the viewer's inbox messages, marked read (unless ``mark_read`` is False: an app
    that may only read); ``NotFound`` for anyone else's. Reading a message about prescriptions,
    orders, coverage or benefits is audited (ids only) through the records door; ``reader``
    names the edge (an API passes its own; default: the web page)."""
    message = selectors.find_inbox_message(viewer=viewer, public_id=public_id)
    if message is None:
        raise NotFound("No such message.")
    found = kinds.KINDS.get(message.kind)
    with transaction.atomic():
        if mark_read and message.read_at is None:
            message.read_at = clock.now()
            message.save(update_fields=["read_at", "updated_at"])
            selectors.forget_unread_count(viewer)
            transaction.on_commit(partial(selectors.forget_unread_count, viewer))
        if found is not None and found.about_phi:
            record_phi_read(
                reader or Reader(user=viewer, edge=Edge.WEB, request=request),  # type: ignore[arg-type]
                action=ACTION_INBOX_READ,
                subject=message,
                details={"kind": message.kind},
            )
    return message


def mark_all_read(*, viewer: AbstractBaseUser | AnonymousUser) -> int:
    if not viewer.is_authenticated:
        return 0
    # The inbox the viewer may read today: messages about a family member who withdrew consent
    # are neither counted (the count would tell they exist) nor touched.
    unread = selectors.list_inbox(viewer=viewer).filter(read_at__isnull=True)
    count = unread.update(read_at=clock.now())
    selectors.forget_unread_count(viewer)
    return count


def _viewers_of(rows: Sequence[Notification], *, now: dt.datetime) -> dict[int, set[int]]:
    """For the members these rows are about: the accounts that may see each one today, by the
    one access rule (one query for the whole batch, none when no row is about a member)."""
    member_ids = {row.about_member_id for row in rows if row.about_member_id is not None}
    if not member_ids:
        return {}
    # members' notices import this module, so its selectors are imported when needed.
    from rxportal.members.selectors import list_viewers_of_members

    found = list_viewers_of_members(member_ids=member_ids, today=timezone.localdate(now))
    return {
        member_id: {viewer.user.pk for viewer in viewers} for member_id, viewers in found.items()
    }


def _may_still_see(notification: Notification, viewers: Mapping[int, set[int]]) -> bool:
    """A message about a member goes out only while its recipient may see that member."""
    if notification.about_member_id is None:
        return True
    return notification.recipient_id in viewers.get(notification.about_member_id, set())


def _claim(ids: Sequence[int], *, now: dt.datetime, lease_ends: dt.datetime) -> list[Notification]:
    """The batch's queued, due rows that no one else holds, leased to this worker until
    ``lease_ends`` (their ``next_attempt_at``, the claim's mark)."""
    with transaction.atomic():
        claim = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=Status.QUEUED, next_attempt_at__lte=now)
            .exclude(channel=Channel.INBOX)
            .order_by("pk")
        )
        Notification.objects.filter(pk__in=[row.pk for row in claim]).update(
            next_attempt_at=lease_ends, updated_at=clock.now()
        )
    return claim


def _deliver_claimed(
    notification: Notification, *, claim: dt.datetime, now: dt.datetime, mail: gateways.MailSession
) -> bool:
    """Send one claimed row, then record the outcome in one statement (still ours?)."""
    notification.attempts += 1
    try:
        _send(notification, mail=mail)
    except DeliveryFailed as error:
        _record_failure(notification, code=error.code, now=now, claim=claim)
        return False
    _mark_sent(notification, now=now)
    return _save_claimed(notification, SENT_FIELDS, claim=claim)


def _save_claimed(notification: Notification, fields: Sequence[str], *, claim: dt.datetime) -> bool:
    """One ``UPDATE`` of a claimed row, only while the claim is still this worker's (a code's
    erased content too; other rows' content is not sent back)."""
    if notification.is_code:
        fields = [*fields, *CONTENT_FIELDS]
    values = {name: getattr(notification, name) for name in fields if name != "updated_at"}
    saved = Notification.objects.filter(
        pk=notification.pk, status=Status.QUEUED, next_attempt_at=claim
    ).update(**values, updated_at=clock.now())
    if not saved:  # only if the lease ran out under this worker: say so
        logger.error(
            "notification %s: its claim was lost before it was saved", notification.public_id
        )
    return bool(saved)
