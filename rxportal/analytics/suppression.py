"""Small-cell suppression for the drug-trend figures (CMS rule: no cell describing 1 to 10
members): pure functions over counts and drug cells, used by `analytics.domain` and
`analytics.series`.

Within one scope: the rules on periods, drug groups, shares and counts are in the docstring of
`analytics.domain`; `is_small`, `CellGroup` and `compute_suppressed_keys` here apply them.

Across plans (complementary suppression by differencing): the client-level figures are the sum
of the client's plans, and each plan's figures can be asked for on their own. A plan whose
figures are suppressed is recovered exactly by "client minus the shown plans", so:

* the client's figures (whole period or month) are suppressed when the members, or the
  utilizers, of its small plans (1 to 10) add up to 1 to 10 (0 or 11 and more is safe);
* a count of members reaching the deductible or out-of-pocket maximum, likewise per plan;
* a drug, class or tier row (or one side of a share) at client level is suppressed when the
  utilizers of that row in the plans where it is small could add up to 1 to 10. Distinct
  utilizers are only known within bounds, so the row is shown only when the small plans'
  lower bounds already reach 11: when unsure, suppress.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

SMALL_CELL_THRESHOLD = 11

K = TypeVar("K", bound=Hashable)


def is_small(members: int) -> bool:
    """A count of 1 to 10 people must not be shown (0 may: it describes no one)."""
    return 0 < members < SMALL_CELL_THRESHOLD


@dataclass(frozen=True, slots=True)
class PlanCounts:
    """One plan's distinct-member counts over a period or a month (`PeriodMemberRollup`)."""

    members: int
    utilizers: int
    reached_deductible: int = 0
    reached_oop_max: int = 0


def small_plans_revealed(counts: Iterable[int]) -> bool:
    """Would "client minus the shown plans" give 1 to 10 people? (The plans' small counts
    taken together.)"""
    return is_small(sum(count for count in counts if is_small(count)))


def plan_scopes_revealed(plans: Iterable[PlanCounts]) -> bool:
    """Must the client-level figures be suppressed because of its small plans?"""
    plans = list(plans)
    return small_plans_revealed(p.members for p in plans) or small_plans_revealed(
        p.utilizers for p in plans
    )


class CellRow(Protocol):
    """What the suppression needs of a drug aggregate (`analytics.domain.DrugAggregate`)."""

    @property
    def plan_key(self) -> str: ...
    @property
    def claims(self) -> int: ...
    @property
    def days_supply(self) -> int: ...
    @property
    def total_cost(self) -> Decimal: ...
    @property
    def max_cell_utilizers(self) -> int: ...
    @property
    def sum_cell_utilizers(self) -> int: ...


@dataclass
class CellGroup:
    claims: int = 0
    days_supply: int = 0
    total_cost: Decimal = Decimal("0.00")
    lower_bound: int = 0  # distinct utilisers are at least this
    upper_bound: int = 0  # and at most this

    def add(self, row: CellRow) -> None:
        self.claims += row.claims
        self.days_supply += row.days_supply
        self.total_cost += row.total_cost
        self.lower_bound = max(self.lower_bound, row.max_cell_utilizers)
        self.upper_bound += row.sum_cell_utilizers

    @property
    def small(self) -> bool:
        """Could describe 1 to 10 members: shown only when at least 11 for certain."""
        return self.upper_bound > 0 and self.lower_bound < SMALL_CELL_THRESHOLD


R = TypeVar("R", bound=CellRow)


def group_rows(rows: Iterable[R], key: Callable[[R], K]) -> dict[K, CellGroup]:
    groups: dict[K, CellGroup] = defaultdict(CellGroup)
    for row in rows:
        groups[key(row)].add(row)
    return dict(groups)


def compute_suppressed_keys(groups: dict[str, CellGroup], also: Iterable[str] = ()) -> set[str]:
    """Small groups and the keys `also` given (see `compute_differenced_keys`), plus
    complementary suppression: when exactly one group of a partition is suppressed, the
    smallest other group (by cost, then key) is suppressed with it."""
    suppressed = {key for key, group in groups.items() if group.small} | set(also)
    if len(suppressed) == 1:
        others = sorted(
            (group.total_cost, key) for key, group in groups.items() if key not in suppressed
        )
        if others:
            suppressed.add(others[0][1])
    return suppressed


def compute_differenced_keys(rows: Iterable[R], key: Callable[[R], str]) -> set[str]:
    """Keys whose cells are small in some plans, where those plans' utilizers together could
    be 1 to 10 (lower bounds summed under 11): "client minus the other plans" would show them.
    Over a single plan's rows this is just the small groups."""
    lower: dict[str, int] = defaultdict(int)
    upper: dict[str, int] = defaultdict(int)
    for (_plan, group_key), group in group_rows(rows, lambda r: (r.plan_key, key(r))).items():
        if group.small:
            lower[group_key] += group.lower_bound
            upper[group_key] += group.upper_bound
    return {k for k in upper if upper[k] > 0 and lower[k] < SMALL_CELL_THRESHOLD}
