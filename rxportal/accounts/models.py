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
    organization = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def is_pbm_staff(self) -> bool:
        return self.role in STAFF_ROLES
