"""The pure rules of formulary changes: what moved, and when it may take effect."""

from __future__ import annotations

import datetime as dt

import pytest

from rxportal.formulary.domain import (
    CHANGE_NOTICE_DAYS,
    ChangeKind,
    ChangeNoticeTooShort,
    CoverageState,
    compute_effective_date,
    compute_entry_change,
    compute_formulary_changes,
)

TODAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    ("before", "after", "kinds"),
    [
        (CoverageState("generic"), CoverageState("preferred-brand"), (ChangeKind.TIER_UP,)),
        (CoverageState("preferred-brand"), CoverageState("generic"), (ChangeKind.TIER_DOWN,)),
        (
            CoverageState("generic"),
            CoverageState("generic", prior_authorization=True),
            (ChangeKind.PRIOR_AUTHORIZATION_ADDED,),
        ),
        (
            CoverageState("generic"),
            CoverageState("generic", step_therapy=True),
            (ChangeKind.STEP_THERAPY_ADDED,),
        ),
        (CoverageState("generic"), None, (ChangeKind.REMOVED,)),
        (
            CoverageState("generic"),
            CoverageState("specialty", prior_authorization=True, step_therapy=True),
            (
                ChangeKind.TIER_UP,
                ChangeKind.PRIOR_AUTHORIZATION_ADDED,
                ChangeKind.STEP_THERAPY_ADDED,
            ),
        ),
        # A tier outside the cost scale is not cheaper: the member hears about it.
        (CoverageState("generic"), CoverageState("medical-service"), (ChangeKind.TIER_UP,)),
    ],
)
def test_each_move_of_an_entry_is_named(
    before: CoverageState, after: CoverageState | None, kinds: tuple[ChangeKind, ...]
) -> None:
    change = compute_entry_change("drug", before, after)

    assert change is not None
    assert change.kinds == kinds


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (CoverageState("generic"), CoverageState("generic")),
        (None, CoverageState("generic")),  # a new drug
        (CoverageState("generic", prior_authorization=True), CoverageState("generic")),
    ],
)
def test_an_unchanged_new_or_eased_entry_is_no_change_to_tell(
    before: CoverageState | None, after: CoverageState
) -> None:
    assert compute_entry_change("drug", before, after) is None


def test_only_harder_or_dearer_coverage_is_adverse() -> None:
    down = compute_entry_change("a", CoverageState("preferred-brand"), CoverageState("generic"))
    up = compute_entry_change("b", CoverageState("generic"), CoverageState("preferred-brand"))

    assert down is not None and not down.is_adverse
    assert up is not None and up.is_adverse


def test_a_formulary_snapshot_pair_yields_every_moved_drug_and_only_those() -> None:
    before = {
        "kept": CoverageState("generic"),
        "dearer": CoverageState("generic"),
        "gone": CoverageState("preferred-brand"),
    }
    after = {
        "kept": CoverageState("generic"),
        "dearer": CoverageState("non-preferred-brand"),
        "new": CoverageState("generic"),
    }

    changes = compute_formulary_changes(before, after)

    assert [(change.drug, change.kinds) for change in changes] == [
        ("dearer", (ChangeKind.TIER_UP,)),
        ("gone", (ChangeKind.REMOVED,)),
    ]


def test_a_change_takes_effect_30_days_after_it_is_announced_by_default() -> None:
    assert compute_effective_date(announced_on=TODAY, requested=None) == TODAY + dt.timedelta(
        days=CHANGE_NOTICE_DAYS
    )


def test_a_later_date_is_kept() -> None:
    later = TODAY + dt.timedelta(days=90)

    assert compute_effective_date(announced_on=TODAY, requested=later) == later


def test_a_change_less_than_30_days_out_is_refused() -> None:
    with pytest.raises(ChangeNoticeTooShort) as refused:
        compute_effective_date(announced_on=TODAY, requested=TODAY + dt.timedelta(days=29))

    assert refused.value.earliest == TODAY + dt.timedelta(days=30)


def test_a_safety_withdrawal_takes_effect_the_day_it_is_announced() -> None:
    assert (
        compute_effective_date(announced_on=TODAY, requested=None, safety_withdrawal=True) == TODAY
    )
