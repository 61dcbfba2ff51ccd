"""Pure rules of client access: tools, due dates, grant terms. No ORM, request or settings."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

# The account team decides an access request within this many calendar days of submission.
DECISION_DAYS = 10
# A grant lasts one year; then the user asks again (re-certification).
GRANT_YEARS = 1


class Tool(StrEnum):
    DRUG_TREND = "drug-trend"
    ELIGIBILITY = "eligibility"
    CLAIMS_REPORTS = "claims-reports"


# Tools that can show protected health information.
PHI_TOOLS = frozenset({Tool.ELIGIBILITY, Tool.CLAIMS_REPORTS})


class Stage(StrEnum):
    SUBMITTED = "submitted"
    VERIFYING = "verifying"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"


OPEN_STAGES = frozenset({Stage.SUBMITTED, Stage.VERIFYING})


def is_phi_tool(tool: str) -> bool:
    return tool in PHI_TOOLS


def compute_due_date(submitted_on: dt.date) -> dt.date:
    """The day a decision is due: ten calendar days after submission."""
    return submitted_on + dt.timedelta(days=DECISION_DAYS)


def is_overdue(*, due_on: dt.date, stage: str, today: dt.date) -> bool:
    return stage in OPEN_STAGES and today > due_on


def compute_grant_expiry(granted_at: dt.datetime) -> dt.datetime:
    """Same time one year later; a grant made on 29 February ends on 28 February."""
    year = granted_at.year + GRANT_YEARS
    try:
        return granted_at.replace(year=year)
    except ValueError:
        return granted_at.replace(year=year, day=28)


def is_grant_live(
    *, expires_at: dt.datetime, revoked_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """In force: neither revoked nor past its expiry (read-time, whether or not the daily job
    has marked it yet)."""
    return revoked_at is None and now < expires_at


def compute_grant_status(
    *, expires_at: dt.datetime, revoked_at: dt.datetime | None, now: dt.datetime
) -> str:
    if revoked_at is not None:
        return "revoked"
    if now >= expires_at:
        return "expired"
    return "active"


def compute_request_stage(*, stored: str, grant_live: bool | None) -> str:
    """An approved request whose grant has ended (expired or revoked) reads as expired."""
    if stored == Stage.APPROVED and grant_live is False:
        return Stage.EXPIRED
    return stored
