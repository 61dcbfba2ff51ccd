"""Portal users. Member data hangs off members.Member, not off the user."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    CLIENT = "client", _("Client")
    ADVISOR = "advisor", _("Advisor")
    ACCOUNT_TEAM = "account_team", _("Account team")
    SERVICE_CENTER = "service_center", _("Service center")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = frozenset({Role.ACCOUNT_TEAM, Role.SERVICE_CENTER, Role.ADMIN})


class User(AbstractUser):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    # What the person typed at sign-up, unverified: never a link to a client (clients.ClientLink
    # is, made by the account team after verifying them).
    organization_claim = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # (not in django-stubs)
        # Held through the role groups (accounts.permissions.ROLE_GROUPS, migration 0006).
        permissions = [
            ("must_use_second_factor", "Must sign in with a second factor"),
        ]

    @property
    def is_pbm_staff(self) -> bool:
        return self.role in STAFF_ROLES


class SecurityProfile(models.Model):
    """The user's anti-phishing SiteKey and second-factor phone; one per user."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="security_profile")
    # Blank until the user picks a SiteKey (a phone may be set first); sign-in shows a decoy then.
    sitekey_image = models.CharField(max_length=40, blank=True)
    sitekey_phrase = models.CharField(max_length=80, blank=True)
    # Encrypted with the field keys (accounts.crypto); the last four digits are kept for display.
    sms_phone_encrypted = models.TextField(blank=True)
    sms_phone_last4 = models.CharField(max_length=4, blank=True)
    sms_phone_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"security profile of user {self.user_id}"


class ChallengeAnswer(models.Model):
    """A challenge-question answer, normalized and hashed like a password."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="challenge_answers")
    question = models.CharField(max_length=40)
    answer_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question"], name="challenge_answer_one_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"challenge answer {self.question} of user {self.user_id}"


class LoginThrottle(models.Model):
    """Consecutive sign-in failures for one normalized username (existing or not).

    Keyed by an HMAC digest so unknown usernames are counted exactly like real ones; the row is
    cleared when someone registers that name, so earlier failures never block them.
    """

    username_digest = models.CharField(max_length=64, unique=True)
    # Failures in the current episode (drives CAPTCHA and timed locks); the episode restarts 12 h
    # after its first failure.
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Failures since the last successful sign-in or reset, never cleared by time: NIST SP 800-63B
    # caps these at 100 (hard lock until a password reset or the service center clears it).
    failures_since_success = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    owner_notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in throttle {self.username_digest[:12]}…"


class RateCounter(models.Model):
    """One fixed window of a sign-in or reset counter (per client address, global, per name).

    Not in the cache: Django's database cache increments by reading then writing and culls
    keys past ``MAX_ENTRIES``, so parallel requests could overshoot a limit and someone making
    many keys could evict live counters. Counted with one atomic upsert
    (``services.lockout.bump_window_counter``); keys are keyed digests, never a name or an
    address. Rows past ``expires_at`` are deleted by the ``accounts.purge_expired_counters``
    periodic task.
    """

    key = models.CharField(max_length=120, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"rate counter {self.key[:24]}…"


class RecognizedDevice(models.Model):
    """A browser that passed the new-device check; its signed cookie names device_id."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recognized_devices")
    label = models.CharField(max_length=200)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"device {self.public_id} of user {self.user_id}"


class OneTimeCodePurpose(models.TextChoices):
    NEW_DEVICE = "new_device", _("New device check")
    PASSWORD_RESET = "password_reset", _("Password reset")
    SMS_SECOND_FACTOR = "sms_mfa", _("Text message second factor")
    PHONE_VERIFICATION = "phone_verify", _("Phone verification")


class OneTimeCodeChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")


class OneTimeCode(models.Model):
    """A short-lived numeric code sent by email or text; stored only as a keyed digest."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=20, choices=OneTimeCodePurpose.choices)
    channel = models.CharField(max_length=10, choices=OneTimeCodeChannel.choices)
    code_digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.public_id}"


class RecoveryCode(models.Model):
    """Single-use MFA recovery code, stored as a keyed digest, never in clear."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_digest"], name="recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of user {self.user_id}"
