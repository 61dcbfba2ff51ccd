"""What-if runs: a plan-design change tried on a client's claims, and what it showed.

De-identified: the inputs are plan amounts, the results aggregates with small counts already
suppressed (`whatif.domain`). One row per client and inputs hash: the same inputs (plan,
design, change, window and the claims it covers) reuse the stored result.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class WhatIfRun(BaseModel):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    inputs = models.JSONField(help_text="Plan, window, base design, change, claims covered")
    inputs_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    claims_total = models.PositiveIntegerField(default=0)
    claims_done = models.PositiveIntegerField(default=0)
    results = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "inputs_hash"], name="whatif_run_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.inputs_hash[:12]} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)
