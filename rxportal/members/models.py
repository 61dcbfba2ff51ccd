"""Members from the plan's eligibility file: subscribers and their dependents."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel


class Relationship(models.TextChoices):
    SUBSCRIBER = "subscriber", _("Subscriber")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    OTHER = "other", _("Other dependent")


class Member(BaseModel):
    """One covered person. The member id is the family's card number; the person code
    (01 subscriber, 02 spouse, 03+ others, as on NCPDP cards) tells family members apart."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="members")
    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="members")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    member_id = models.CharField(max_length=20)
    person_code = models.CharField(max_length=3, default="01")
    relationship = models.CharField(
        max_length=12, choices=Relationship.choices, default=Relationship.SUBSCRIBER
    )
    subscriber = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="dependents"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address_line = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    zip_code = models.CharField(max_length=10)
    coverage_start = models.DateField()
    coverage_end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["member_id", "person_code"]
        indexes = [models.Index(fields=["last_name", "date_of_birth"])]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "member_id", "person_code"], name="member_unique_per_client"
            ),
            models.CheckConstraint(
                condition=Q(coverage_end__isnull=True) | Q(coverage_end__gte=F("coverage_start")),
                name="member_coverage_dates_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(relationship="subscriber") & Q(subscriber__isnull=True))
                | (~Q(relationship="subscriber") & Q(subscriber__isnull=False)),
                name="member_dependents_have_subscriber",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.member_id}-{self.person_code})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def family_head_id(self) -> int:
        """Primary key of the subscriber, who keys the family accumulators."""
        return self.subscriber_id or self.pk


class FamilyAccessGrant(BaseModel):
    """An adult dependent's consent: the subscriber (grantee) may see the dependent's (grantor's)
    prescriptions, claims and orders. Revoking stamps `revoked_at`; a later grant is a new row,
    so the history of consent stays. At most one active grant per pair (partial unique index).
    """

    grantor = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="access_grants_given"
    )
    grantee = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="access_grants_received"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["grantor", "grantee"],
                condition=Q(revoked_at__isnull=True),
                name="family_access_one_active_grant_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(grantor=F("grantee")), name="family_access_not_to_oneself"
            ),
        ]
        indexes = [
            models.Index(
                fields=["grantee", "grantor"],
                condition=Q(revoked_at__isnull=True),
                name="family_access_active_grantee",
            )
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"Family access {self.public_id} ({state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
