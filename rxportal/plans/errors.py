"""Plan errors with stable codes."""

from __future__ import annotations

from rxportal.core.errors import DomainError, NotFound


class PlanNotFound(NotFound):
    code = "plan.not_found"


class ReferenceDataMissing(DomainError):
    """Standard plans need the imported formularies and network (`import_reference_data`)."""

    code = "plan.reference_data_missing"
