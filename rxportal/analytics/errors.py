"""Drug-trend errors with stable codes (messages are for people, codes for code)."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class DrugTrendNotFound(DomainError):
    """No such client or plan, or the viewer may not see its drug trend (both look the same:
    a 404 at the edge, never revealing that the client exists)."""

    code = "analytics.drug_trend_not_found"
