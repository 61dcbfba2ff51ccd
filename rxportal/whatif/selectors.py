"""Reads of the plan-design what-if: who may use it, the plan's claims as plain rows, runs.

Access is the drug-trend dashboard's: a live drug-trend grant for the client
(`clients.selectors.find_live_grant`), PBM staff included; anything else, and another
client's plan or run, is `WhatIfNotFound` (a 404 at the edge, revealing nothing). The claims are read once, with
`values_list`, ordered as the re-adjudication walks them; no per-claim ORM.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce

from rxportal.claims.models import Claim, ClaimStatus
from rxportal.clients.domain import Tool
from rxportal.clients.models import Client
from rxportal.clients.selectors import find_live_grant
from rxportal.core import clock
from rxportal.formulary.domain import compute_display_name
from rxportal.formulary.models import Drug
from rxportal.members.models import Member
from rxportal.pharmacies.models import NetworkPharmacy
from rxportal.plans.models import Plan
from rxportal.whatif.domain import ClaimRow, Window, make_claim_row
from rxportal.whatif.errors import WhatIfNotFound
from rxportal.whatif.models import WhatIfRun


def get_client(*, viewer: Any, client_public_id: uuid.UUID) -> Client:
    """The client whose drug-trend grant the viewer holds now, or WhatIfNotFound. A re-pricing
    of the client's claims is the drug trend's, so it asks for the same grant as the dashboard."""
    grant = find_live_grant(
        viewer=viewer, client_public_id=client_public_id, tool=Tool.DRUG_TREND, now=clock.now()
    )
    if grant is None:
        raise WhatIfNotFound("No what-if to show.")
    return grant.client


def list_plans(*, client: Client) -> list[Plan]:
    return list(Plan.objects.filter(client=client).order_by("name", "code"))


def get_plan(*, client: Client, plan_public_id: uuid.UUID | str) -> Plan:
    """One of the client's plans (cost shares prefetched), or WhatIfNotFound."""
    try:
        public_id = uuid.UUID(str(plan_public_id))
    except ValueError as error:
        raise WhatIfNotFound("No such plan.") from error
    plan = (
        Plan.objects.prefetch_related("cost_shares")
        .filter(client=client, public_id=public_id)
        .first()
    )
    if plan is None:
        raise WhatIfNotFound("No such plan.")
    return plan


def list_runs(*, client: Client, limit: int = 50) -> list[WhatIfRun]:
    return list(WhatIfRun.objects.filter(client=client).select_related("plan")[:limit])


def get_run(*, client: Client, run_public_id: uuid.UUID | str) -> WhatIfRun:
    try:
        public_id = uuid.UUID(str(run_public_id))
    except ValueError as error:
        raise WhatIfNotFound("No such what-if.") from error
    run = (
        WhatIfRun.objects.filter(client=client, public_id=public_id).select_related("plan").first()
    )
    if run is None:
        raise WhatIfNotFound("No such what-if.")
    return run


def _counted_claims(plan: Plan, window: Window) -> Any:
    """Paid claims not reversed by another row, from the window's plan year start to its end."""
    return Claim.objects.filter(
        plan_id=plan.pk,
        status=ClaimStatus.PAID,
        reversal__isnull=True,
        service_date__gte=window.warm_start,
        service_date__lte=window.end,
    )


def compute_claims_fingerprint(*, plan: Plan, window: Window) -> dict[str, int]:
    """How many claims the run covers and the newest one's key: a load changes the hash."""
    found = _counted_claims(plan, window).aggregate(count=Count("id"), last=Max("id"))
    return {"count": found["count"], "last": found["last"] or 0}


def _claim_columns(plan: Plan, window: Window) -> Any:
    return (
        _counted_claims(plan, window)
        .annotate(family=Coalesce("member__subscriber_id", "member_id"))
        .order_by("family", "service_date", "id")
        .values_list(
            "family", "member_id", "service_date", "drug_id", "tier", "channel", "days_supply",
            "total_cost", "member_paid", "plan_paid", "drug__is_insulin", "pharmacy_id",
        )
    )  # fmt: skip


def list_claim_rows(*, plan: Plan, window: Window) -> list[ClaimRow]:
    """The claims as `ClaimRow`s ordered by family, service date and id (two queries)."""
    network = set(
        NetworkPharmacy.objects.filter(network_id=plan.network_id).values_list(
            "pharmacy_id", flat=True
        )
    )
    return [
        make_claim_row(family, member, day, drug, tier, channel, days, cost, by_member, by_plan,
                       insulin, pharmacy is not None and pharmacy not in network)
        for family, member, day, drug, tier, channel, days, cost, by_member, by_plan, insulin,
        pharmacy in _claim_columns(plan, window)
    ]  # fmt: skip


def list_member_coverage(*, plan: Plan, window: Window) -> list[tuple[dt.date, dt.date | None]]:
    """Coverage spans of the plan's members and of anyone with a claim on it in the window."""
    claimants = Claim.objects.filter(
        plan_id=plan.pk, service_date__gte=window.start, service_date__lte=window.end
    ).values("member_id")
    return list(
        Member.objects.filter(Q(plan_id=plan.pk) | Q(pk__in=claimants)).values_list(
            "coverage_start", "coverage_end"
        )
    )


def list_drug_names(drug_keys: list[int]) -> dict[int, str]:
    """Readable names (brand or ingredients, strength, form) of the most affected drugs."""
    rows = Drug.objects.filter(pk__in=drug_keys).values_list("id", "name")
    return {key: compute_display_name(name) for key, name in rows}
