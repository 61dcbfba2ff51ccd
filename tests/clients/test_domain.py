import datetime as dt

import pytest

from rxportal.clients import domain


def test_a_decision_is_due_ten_calendar_days_after_submission() -> None:
    assert domain.compute_due_date(dt.date(2026, 12, 28)) == dt.date(2027, 1, 7)


@pytest.mark.parametrize(
    ("stage", "today", "overdue"),
    [
        ("submitted", dt.date(2026, 1, 11), False),
        ("submitted", dt.date(2026, 1, 12), True),
        ("verifying", dt.date(2026, 1, 12), True),
        ("approved", dt.date(2026, 2, 1), False),
        ("denied", dt.date(2026, 2, 1), False),
    ],
)
def test_only_open_requests_past_their_due_date_are_overdue(
    stage: str, today: dt.date, overdue: bool
) -> None:
    assert domain.is_overdue(due_on=dt.date(2026, 1, 11), stage=stage, today=today) is overdue


def test_a_grant_lasts_one_year_and_a_leap_day_grant_ends_on_28_february() -> None:
    start = dt.datetime(2028, 2, 29, 9, 0, tzinfo=dt.UTC)
    assert domain.compute_grant_expiry(start) == dt.datetime(2029, 2, 28, 9, 0, tzinfo=dt.UTC)
    plain = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert domain.compute_grant_expiry(plain) == dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_grant_status_at_read_time() -> None:
    expires = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    before, after = expires - dt.timedelta(seconds=1), expires
    assert domain.compute_grant_status(expires_at=expires, revoked_at=None, now=before) == "active"
    assert domain.compute_grant_status(expires_at=expires, revoked_at=None, now=after) == "expired"
    assert (
        domain.compute_grant_status(expires_at=expires, revoked_at=before, now=before) == "revoked"
    )


def test_an_approved_request_whose_grant_ended_reads_as_expired() -> None:
    assert domain.compute_request_stage(stored="approved", grant_live=False) == "expired"
    assert domain.compute_request_stage(stored="approved", grant_live=True) == "approved"
    assert domain.compute_request_stage(stored="submitted", grant_live=None) == "submitted"


def test_eligibility_and_claims_reports_are_phi_level_and_drug_trend_is_not() -> None:
    assert domain.is_phi_tool("eligibility")
    assert domain.is_phi_tool("claims-reports")
    assert not domain.is_phi_tool("drug-trend")
