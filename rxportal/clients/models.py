"""Plan sponsors, the people the account team has linked to them, and secure-tool access."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rxportal.clients.domain import Stage, Tool
from rxportal.core.models import BaseModel


class ClientKind(models.TextChoices):
    EMPLOYER = "employer", _("Employer")
    HEALTH_PLAN = "health_plan", _("Health plan")
    MEDICARE = "medicare", _("Medicare Part D sponsor")
    UNION = "union", _("Union")


class Client(BaseModel):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ClientKind.choices, default=ClientKind.EMPLOYER)
    member_services_phone = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["name"]
        # Granted through the groups of the data migration 0003 (see services.ROLE_GROUPS).
        permissions = [
            ("use_client_portal", "Can use the client and advisor portal"),
            ("verify_client_links", "Can link users to clients after verifying them"),
            ("decide_tool_access", "Can decide tool access requests and revoke grants"),
            ("view_client_directory", "Can see clients and their designated contacts"),
        ]

    def __str__(self) -> str:
        return self.name


class DesignatedContact(BaseModel):
    """The person at the client whom the account team calls to vouch for a user."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["client", "name"]

    def __str__(self) -> str:
        return f"designated contact {self.public_id}"


class LinkKind(models.TextChoices):
    MEMBER_OF = "member_of", _("Works for the client")
    ADVISES = "advises", _("Advises the client")


class VerificationMethod(models.TextChoices):
    CALLED_CONTACT = "called_contact", _("Called the client's designated contact")
    EMAIL_DOMAIN = "email_domain", _("Verified the email domain")
    WRITTEN_CONFIRMATION = "written_confirmation", _("Written confirmation from the client")
    BROKER_AGREEMENT = "broker_agreement", _("Broker or consultant agreement on file")


class ClientLink(BaseModel):
    """A verified link between a user and a client, made only by the account team.

    A client user has one live link; an advisor one per client they advise. Ending a link keeps
    the row (who vouched stays on record).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_links"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="links")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=30, choices=VerificationMethod.choices)
    verified_at = models.DateTimeField()
    notes = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client"],
                condition=Q(ended_at__isnull=True),
                name="client_link_one_live_per_user_and_client",
            ),
        ]

    def __str__(self) -> str:
        return f"client link {self.public_id}"


class LinkRequest(BaseModel):
    """A client user or advisor asks to be linked to an organization (before any access
    request for it). Resolved when the account team links them, or declined."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="link_requests"
    )
    organization = models.CharField(max_length=200)
    reason = models.TextField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"link request {self.public_id}"


class AccessRequest(BaseModel):
    """A user's request to use one secure tool for one client they are linked to."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="access_requests")
    tool = models.CharField(max_length=20, choices=[(t.value, t.value) for t in Tool])
    business_reason = models.TextField()
    stage = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in Stage], default=Stage.SUBMITTED
    )
    submitted_at = models.DateTimeField()
    due_on = models.DateField()
    verification_method = models.CharField(
        max_length=30, choices=VerificationMethod.choices, blank=True
    )
    verification_notes = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "submitted_at"]
        indexes = [models.Index(fields=["stage", "due_on"])]

    def __str__(self) -> str:
        return f"access request {self.public_id}"


class ToolGrant(BaseModel):
    """Permission for one user to use one tool for one client, for a year or until revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tool_grants"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="tool_grants")
    tool = models.CharField(max_length=20, choices=[(t.value, t.value) for t in Tool])
    phi_level = models.BooleanField()
    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="grant")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)
    # Set by the daily job when it records the expiry; reads never rely on it (they compare
    # expires_at with the clock).
    expiry_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expires_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client", "tool"],
                condition=Q(revoked_at__isnull=True, expiry_recorded_at__isnull=True),
                name="tool_grant_one_open_per_user_client_tool",
            ),
        ]

    def __str__(self) -> str:
        return f"tool grant {self.public_id}"
