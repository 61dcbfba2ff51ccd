"""The outbox: one row per message per channel, written in the transaction of its event.

A row holds what is sent, already rendered in the recipient's language (subject, plain text,
HTML), never a template to render later: what the person was told is what the row says. Rows
of one-time codes (``is_code``) lose their content as soon as they are sent or parked. An inbox
row is the in-app message itself (``read_at`` once its recipient opens it). Each person's
language and quiet hours (``NotificationSettings``) and their departures from a kind's default
channels (``NotificationPreference``) decide which rows ``notify`` writes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    INBOX = "inbox", _("Inbox")


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# A queued email or text whose recipient may no longer see the member it is about (consent
# revoked): not sent, never retried.
WITHDRAWN_ACCESS = "withdrawn.access"


class Notification(BaseModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # An email address (also for people without an account, or an address being changed). Texts
    # leave it empty: the number is read, decrypted, from the recipient's profile when sent;
    # only a code to a number being confirmed carries it, erased once sent.
    to_address = models.CharField(max_length=254, blank=True)
    kind = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=255, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # The portal page the message is about (a path, no query: never PHI), shown in the inbox.
    link_path = models.CharField(max_length=200, blank=True)
    is_code = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=128)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error_code = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Inbox rows only: when the recipient first opened the message (None: unread).
    read_at = models.DateTimeField(null=True, blank=True)
    # Whose records the message is about (None: the recipient's account, not a member's
    # records). The inbox shows it, and a queued email or text goes out, only while the one
    # access rule lets the recipient see this member: a revoked consent hides it at once.
    about_member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=True,
    )

    class Meta:
        default_permissions = ()
        permissions = [("resend_notifications", "Can see failed deliveries and resend them")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"], name="notification_once_per_channel"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            # The inbox page and the header's unread count: one person's inbox rows.
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.channel}, {self.status})"

    @property
    def can_resend(self) -> bool:
        """A parked code's content is erased, and its code is dead by now: the person asks again.
        A message withdrawn because its recipient may no longer see its member stays withdrawn."""
        return (
            self.status == Status.FAILED
            and not self.is_code
            and self.last_error_code != WITHDRAWN_ACCESS
        )


def _site_language() -> str:
    return str(settings.LANGUAGE_CODE)


def _site_time_zone() -> str:
    return str(settings.TIME_ZONE)


class NotificationSettings(BaseModel):
    """One person's language for messages and quiet hours for texts (made on first save)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default=_site_language)
    # No texts from start to end (local time in ``time_zone``; may span midnight). Both or none.
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default=_site_time_zone)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"notification settings of user {self.user_id}"


class NotificationPreference(BaseModel):
    """A person's departure from a kind's default on one channel (only departures are stored)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    enabled = models.BooleanField()

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="notification_preference_once"
            ),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"{self.kind} by {self.channel} {state} for user {self.user_id}"
