"""Re-adjudication of a plan's claims under a changed design, and what it shows (pure).

Every claim goes through `pricing.engine.adjudicate`, the function that priced it: family by
family, in service-date order, with fresh accumulators each plan year (a calendar year, as
the plans' `plan_year`). Claims from the start of the window's first plan year up to the
window are re-adjudicated too, to warm the accumulators, but counted nowhere.

"Before" is what the claims were charged (their stored amounts); "after" is the engine's
answer under the changed design. With the design unchanged, after equals before to the cent.
Counts of members are suppressed under 11 (`analytics.domain.is_small`, the CMS rule), and
a drug is listed only when at least 11 members had it in the window. When fewer than 11
members had a claim, every figure is hidden: the dollar totals of a handful of people are
theirs. When exactly one changed drug is hidden, the next-smallest listed one is hidden too,
else the totals minus the listed drugs would give the hidden drug's shift away.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from rxportal.analytics.domain import is_small
from rxportal.pricing.engine import (
    Accumulators,
    BenefitDesign,
    Channel,
    ClaimInput,
    NetworkStatus,
    NotCovered,
    Tier,
    adjudicate,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
TOP_DRUGS = 10
WINDOW_MONTHS = 12
_TIERS = {tier.value: tier for tier in Tier}
_CHANNELS = {channel.value: channel for channel in Channel}


class ClaimRow(NamedTuple):
    """One paid, not reversed claim, as `selectors.list_claim_rows` reads it (ordered by
    family, service date, then id), with the engine's input for it built once at load.
    Keys are internal ids, never shown."""

    family_key: int
    member_key: int
    service_date: dt.date
    drug_key: int
    claim: ClaimInput  # tier, cost, days supply, channel, insulin, network status
    member_paid: Decimal
    plan_paid: Decimal


def make_claim_row(
    family_key: int, member_key: int, service_date: dt.date, drug_key: int, tier: str,
    channel: str, days_supply: int, total_cost: Decimal, member_paid: Decimal,
    plan_paid: Decimal, is_insulin: bool, out_of_network: bool,
) -> ClaimRow:  # fmt: skip
    """A stored claim's columns as a `ClaimRow`: what the engine priced it with."""
    status = NetworkStatus.OUT_OF_NETWORK if out_of_network else NetworkStatus.IN_NETWORK
    claim = ClaimInput(
        _TIERS[tier], total_cost, days_supply, _CHANNELS[channel], is_insulin, status
    )
    return ClaimRow(family_key, member_key, service_date, drug_key, claim, member_paid, plan_paid)


@dataclass(frozen=True, slots=True)
class Window:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def warm_start(self) -> dt.date:
        """First day of the plan year the window starts in: accumulators start fresh here."""
        return dt.date(self.start.year, 1, 1)


def compute_window(today: dt.date) -> Window:
    """The last 12 full months before `today`'s month."""
    end = dt.date(today.year, today.month, 1) - dt.timedelta(days=1)
    month_index = end.year * 12 + end.month - WINDOW_MONTHS  # months since year 0, 0-based
    return Window(dt.date(month_index // 12, month_index % 12 + 1, 1), end)


def count_member_months(coverage: Iterable[tuple[dt.date, dt.date | None]], window: Window) -> int:
    """Months of the window in which each member was covered on at least one day."""
    total = 0
    first = window.start.year * 12 + window.start.month
    last = window.end.year * 12 + window.end.month
    for start, end in coverage:
        begin = max(first, start.year * 12 + start.month)
        finish = last if end is None else min(last, end.year * 12 + end.month)
        if finish >= begin:
            total += finish - begin + 1
    return total


@dataclass(frozen=True, slots=True)
class DrugShift:
    drug_key: int
    claims: int
    members: int
    member_before: Decimal
    member_after: Decimal
    plan_before: Decimal
    plan_after: Decimal

    @property
    def member_shift(self) -> Decimal:
        return self.member_after - self.member_before


@dataclass(frozen=True, slots=True)
class WhatIfResult:
    # Claim counts and money are None when fewer than 11 members had a claim (`figures_hidden`).
    claims: int | None  # claims in the window, re-adjudicated
    warm_up_claims: int | None  # earlier claims of the plan year, for accumulators only
    not_priced: int | None  # claims the changed design does not cover: kept at their amounts
    member_months: int
    plan_before: Decimal | None
    plan_after: Decimal | None
    member_before: Decimal | None
    member_after: Decimal | None
    members_with_claims: int | None  # None: fewer than 11, not shown
    members_paying_more: int | None
    members_paying_less: int | None
    top_drugs: tuple[DrugShift, ...]
    drugs_not_shown: int  # drugs with a shift but fewer than 11 members

    @property
    def figures_hidden(self) -> bool:
        """Fewer than 11 members had a claim: no figure is shown."""
        return self.members_with_claims is None

    @property
    def member_shift_pmpm(self) -> Decimal | None:
        return self._per_member_month(self.member_before, self.member_after)

    @property
    def plan_shift_pmpm(self) -> Decimal | None:
        return self._per_member_month(self.plan_before, self.plan_after)

    def _per_member_month(self, before: Decimal | None, after: Decimal | None) -> Decimal | None:
        if not self.member_months or before is None or after is None:
            return None
        return ((after - before) / self.member_months).quantize(CENT)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return _json_safe(data)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WhatIfResult:
        money = ("plan_before", "plan_after", "member_before", "member_after")
        drug_money = ("member_before", "member_after", "plan_before", "plan_after")
        values = {
            **data,
            **{name: None if data[name] is None else Decimal(data[name]) for name in money},
        }
        values["top_drugs"] = tuple(
            DrugShift(**{**row, **{name: Decimal(row[name]) for name in drug_money}})
            for row in data["top_drugs"]
        )
        return cls(**values)


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


Progress = Callable[[int], None]


def compute_what_if(
    *,
    design: BenefitDesign,
    claims: Iterable[ClaimRow],
    window: Window,
    member_months: int,
    on_progress: Progress | None = None,
    progress_every: int = 10_000,
) -> WhatIfResult:
    """Re-adjudicate `claims` (ordered by family, date, id) under `design`; see the module.

    The hot loop: tuples unpacked (no attribute look-ups), running totals in two-item lists
    mutated in place, the engine's inputs built at load (`make_claim_row`), and a new
    `Accumulators` only when the person changes; the engine does all the pricing."""
    price, accumulators = adjudicate, Accumulators
    start = window.start
    current_family = None
    individual: dict[tuple[int, int], list[Decimal]] = {}  # (person, year) -> [deductible, oop]
    family: dict[int, list[Decimal]] = {}  # year -> [deductible, oop]
    member_shift: dict[int, Decimal] = {}
    drugs: dict[int, list[Any]] = {}  # drug -> [claims, members, m_before, m_after, p_b, p_a]
    warm = not_priced = done = 0
    plan_before = plan_after = member_before = member_after = ZERO
    last_key: tuple[int, int] | None = None
    last_after = Accumulators()
    for family_key, member_key, service_date, drug_key, claim, member_paid, plan_paid in claims:
        if family_key != current_family:
            current_family, last_key = family_key, None
            individual = {}
            family = {}
        year = service_date.year
        key = (member_key, year)
        ind = individual.get(key)
        if ind is None:
            ind = individual[key] = [ZERO, ZERO]
        fam = family.get(year)
        if fam is None:
            fam = family[year] = [ZERO, ZERO]
        # The same person again with no one else in the family in between: the engine's own
        # accumulators after their last claim are exactly the ones before this one.
        before = last_after if key == last_key else accumulators(ind[0], ind[1], fam[0], fam[1])
        last_key = key
        try:
            result = price(design, before, claim, explain=False)
        except NotCovered:
            by_member, by_plan = member_paid, plan_paid
            not_priced += service_date >= start
            last_after = before
        else:
            by_member, by_plan = result.member_pays, result.plan_pays
            last_after = result.accumulators_after
            if by_member:
                deductible, oop = result.deductible_applied, result.oop_applied
                ind[0] += deductible
                ind[1] += oop
                fam[0] += deductible
                fam[1] += oop
        done += 1
        if on_progress is not None and done % progress_every == 0:
            on_progress(done)
        if service_date < start:
            warm += 1
            continue
        member_before += member_paid
        member_after += by_member
        plan_before += plan_paid
        plan_after += by_plan
        member_shift[member_key] = member_shift.get(member_key, ZERO) + by_member - member_paid
        drug = drugs.get(drug_key)
        if drug is None:
            drug = drugs[drug_key] = [0, set(), ZERO, ZERO, ZERO, ZERO]
        drug[0] += 1
        drug[1].add(member_key)
        drug[2] += member_paid
        drug[3] += by_member
        drug[4] += plan_paid
        drug[5] += by_plan
    if on_progress is not None:
        on_progress(done)
    counted = done - warm
    return _summarize(
        counted=counted, warm=warm, not_priced=not_priced, member_months=member_months,
        totals=(plan_before, plan_after, member_before, member_after),
        member_shift=member_shift, drugs=drugs,
    )  # fmt: skip


def _suppressed(count: int) -> int | None:
    return None if is_small(count) else count


def _summarize(
    *,
    counted: int,
    warm: int,
    not_priced: int,
    member_months: int,
    totals: tuple[Decimal, Decimal, Decimal, Decimal],
    member_shift: dict[int, Decimal],
    drugs: dict[int, list[Any]],
) -> WhatIfResult:
    shifts = [
        DrugShift(key, n, len(people), m_before, m_after, p_before, p_after)
        for key, (n, people, m_before, m_after, p_before, p_after) in drugs.items()
    ]
    moved = [
        shift for shift in shifts if shift.member_shift or shift.plan_after != shift.plan_before
    ]
    shown = [shift for shift in moved if not is_small(shift.members)]
    if len(moved) - len(shown) == 1 and 0 < len(shown) <= TOP_DRUGS:
        # Complementary suppression: with every other changed drug listed, the totals minus
        # the listed shifts would be the hidden drug's shift. Hide the next-smallest as well.
        smallest = min(shown, key=lambda shift: (shift.members, shift.drug_key))
        shown.remove(smallest)
    # Largest change for members first; ties by drug key so the order is always the same.
    shown.sort(key=lambda shift: (-abs(shift.member_shift), shift.drug_key))
    if is_small(len(member_shift)):
        # A handful of members: their totals and counts are theirs, nothing is shown.
        return WhatIfResult(
            claims=None, warm_up_claims=None, not_priced=None, member_months=member_months,
            plan_before=None, plan_after=None, member_before=None, member_after=None,
            members_with_claims=None, members_paying_more=None, members_paying_less=None,
            top_drugs=(), drugs_not_shown=len(moved),
        )  # fmt: skip
    plan_before, plan_after, member_before, member_after = totals
    # The one changed drug is hidden and nothing else moved: (after - before) would be its
    # shift, for fewer than 11 members. The totals before stay; the after totals go.
    lone_hidden_drug = len(moved) - len(shown) == 1 and not shown
    return WhatIfResult(
        claims=counted,
        warm_up_claims=warm,
        not_priced=not_priced,
        member_months=member_months,
        plan_before=plan_before,
        plan_after=None if lone_hidden_drug else plan_after,
        member_before=member_before,
        member_after=None if lone_hidden_drug else member_after,
        members_with_claims=_suppressed(len(member_shift)),
        members_paying_more=_suppressed(sum(1 for v in member_shift.values() if v > 0)),
        members_paying_less=_suppressed(sum(1 for v in member_shift.values() if v < 0)),
        top_drugs=tuple(shown[:TOP_DRUGS]),
        drugs_not_shown=len(moved) - len(shown),
    )
