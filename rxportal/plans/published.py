"""Plans as published to anyone (the FHIR US Drug Formulary's payer insurance plans): the
plan's name, kind, year, issuer, formulary and pharmacy network. No members, no sponsor data.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from rxportal.plans.models import Plan


@dataclass(frozen=True)
class PublishedPlan:
    code: str
    name: str
    kind: str  # a PlanKind value
    plan_year: int
    issuer_name: str
    formulary_code: str
    network_public_id: uuid.UUID


@dataclass(frozen=True)
class PlanPage:
    plans: list[PublishedPlan]
    next_after: str | None


def list_published_plans(
    *,
    codes: Collection[str] | None = None,
    name_prefix: str = "",
    formulary_codes: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    after: str | None = None,
    limit: int,
) -> PlanPage:
    """Plans by code (a unique index), a keyset page after ``after``."""
    rows = Plan.objects.order_by("code").values_list(
        "code", "name", "kind", "plan_year", "issuer_name", "formulary__code", "network__public_id"
    )
    if codes is not None:
        rows = rows.filter(code__in=list(codes))
    if name_prefix:
        rows = rows.filter(name__istartswith=name_prefix)
    if formulary_codes is not None:
        rows = rows.filter(formulary__code__in=list(formulary_codes))
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    if after is not None:
        rows = rows.filter(code__gt=after)
    plans = [PublishedPlan(*row) for row in rows[: limit + 1]]
    more = len(plans) > limit
    plans = plans[:limit]
    return PlanPage(plans, plans[-1].code if more else None)


def find_published_plan(code: str) -> PublishedPlan | None:
    page = list_published_plans(codes=[code], limit=1)
    return page.plans[0] if page.plans else None
