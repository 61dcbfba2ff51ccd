"""Errors of the sponsors' PHI tools, with stable codes."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class SponsorToolError(DomainError):
    code = "sponsor_tools.error"


class ReportRangeInvalid(SponsorToolError):
    code = "sponsor_tools.report.range_invalid"


class ReportMemberUnknown(SponsorToolError):
    """No member on the client's plans has that member id (another client's looks the same)."""

    code = "sponsor_tools.report.member_unknown"


class ReportInProgress(SponsorToolError):
    """The asker already has a report of this client waiting or being built (one at a time)."""

    code = "sponsor_tools.report.in_progress"


class ReportLinkExpired(SponsorToolError):
    code = "sponsor_tools.report.link_expired"
