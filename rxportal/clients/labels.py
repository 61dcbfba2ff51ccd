"""What the pages and emails call each tool and stage (one place, translated)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rxportal.clients.domain import Stage, Tool

TOOL_LABELS: dict[str, Promise] = {
    Tool.DRUG_TREND: _("Drug-trend reports"),
    Tool.ELIGIBILITY: _("Eligibility lookup"),
    Tool.CLAIMS_REPORTS: _("Claims reports"),
}

STAGE_LABELS: dict[str, Promise] = {
    Stage.SUBMITTED: _("Submitted"),
    Stage.VERIFYING: _("Verifying"),
    Stage.APPROVED: _("Approved"),
    Stage.DENIED: _("Denied"),
    Stage.EXPIRED: _("Expired"),
}

GRANT_STATUS_LABELS: dict[str, Promise] = {
    "active": _("In force"),
    "expired": _("Expired"),
    "revoked": _("Revoked"),
}
