"""Claims reports a plan sponsor asked for: built in the background, downloaded for a day.

The CSV is kept in the row itself, gzip-compressed, not in a file: the web and the Celery
workers may run on different hosts with no shared disk; a database row is never under
``STATIC_ROOT`` or ``MEDIA_ROOT``, so nothing can serve it but the download view (which checks
the live grant); and the file goes when the row is purged, with nothing left on a disk.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rxportal.core.models import BaseModel


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    BUILDING = "building", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ClaimsReport(BaseModel):
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="claims_reports"
    )
    grant = models.ForeignKey(
        "clients.ToolGrant", on_delete=models.PROTECT, related_name="claims_reports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims_reports"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    drug_query = models.CharField(max_length=100, blank=True)
    # The card number asked for (normalized), never shown in a URL or an audit entry.
    member_card = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=10, choices=ReportStatus.choices)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    content = models.BinaryField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "client", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("end_date")),
                name="claims_report_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")),
                name="claims_report_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Claims report {self.public_id} ({self.status})"
