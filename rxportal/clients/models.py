"""Plan sponsors: employers, unions, health plans and Medicare plans that buy the PBM's services."""

from django.db import models
from django.utils.translation import gettext_lazy as _

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

    def __str__(self) -> str:
        return self.name
