"""Reads of the plan sponsors' PHI tools, each behind the viewer's live grant for the tool.

The grant is found once per request (``find_tool_grant``) and handed to the reads, which check
it is the viewer's own and for the right tool. Everything is scoped to the grant's client: its
own plans' members, its own reports. A member of another client and a member who does not
exist give the same empty answer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from rxportal.claims.selectors import (
    AccumulatorSummary,
    build_accumulator_summary,
    list_accumulator_rows,
)
from rxportal.clients.domain import Tool
from rxportal.clients.models import ToolGrant
from rxportal.clients.selectors import find_live_grant
from rxportal.members.models import Member
from rxportal.members.selectors import is_same_name, normalize_member_id
from rxportal.records.reads import Edge, Reader, record_phi_read
from rxportal.sponsor_tools.models import ClaimsReport

Viewer = AbstractBaseUser | AnonymousUser

ACTION_ELIGIBILITY_VIEWED = "phi.sponsor.eligibility.viewed"
ACTION_ELIGIBILITY_NOT_FOUND = "phi.sponsor.eligibility.not_found"
# Never more people on one answer than this (twins on one card; two people sharing a name and
# date of birth): a name search is not a way to list the client's members.
MAX_MATCHES = 5


def find_tool_grant(
    *, viewer: Viewer, client_public_id: uuid.UUID, tool: Tool, now: dt.datetime
) -> ToolGrant | None:
    """The viewer's grant in force for this client's tool, asked at every request."""
    return find_live_grant(viewer=viewer, client_public_id=client_public_id, tool=tool, now=now)


def _check_grant(viewer: Viewer, grant: ToolGrant, tool: Tool) -> None:
    if grant.user_id != viewer.pk or grant.tool != tool:
        raise PermissionError("a sponsor tool was read with someone else's or another tool's grant")


# --- Eligibility lookup ------------------------------------------------------------------------


@dataclass(frozen=True)
class EligibilitySearch:
    """Either a member id (the card number, with or without the person code) or a first name,
    last name and date of birth."""

    member_card: str = ""
    first_name: str = ""
    last_name: str = ""
    date_of_birth: dt.date | None = None


@dataclass(frozen=True)
class EligibilityRecord:
    member: Member
    covered_today: bool
    subscriber: Member | None  # for a dependent: whose card they are on
    dependents: list[Member]
    accumulators: AccumulatorSummary


def _candidates(client_id: int, search: EligibilitySearch) -> list[Member]:
    members = Member.objects.filter(plan__client_id=client_id).select_related(
        "plan", "subscriber__plan"
    )
    card = normalize_member_id(search.member_card)
    if card:
        # The card alone names the subscriber; with the person code on the end, that person.
        found = members.filter(
            Q(member_id__iexact=card, subscriber__isnull=True)
            | Q(member_id__iexact=card[:-2], person_code=card[-2:])
        )
        return list(found.order_by("member_id", "person_code")[:MAX_MATCHES])
    if search.date_of_birth is None or not search.last_name.strip():
        return []
    same_birthday = members.filter(date_of_birth=search.date_of_birth).order_by(
        "member_id", "person_code"
    )
    return [
        member
        for member in same_birthday
        if is_same_name(member.last_name, search.last_name)
        and is_same_name(member.first_name, search.first_name)
    ][:MAX_MATCHES]


def list_eligibility(
    *,
    viewer: Viewer,
    grant: ToolGrant,
    search: EligibilitySearch,
    today: dt.date,
    request: HttpRequest | None = None,
) -> list[EligibilityRecord]:
    """The client's own members matching the search, each with coverage, dependents and
    plan-year accumulators. Every member shown is recorded (who, which member, which client,
    which grant), and so is a search that found no one. Four queries and the audit."""
    _check_grant(viewer, grant, Tool.ELIGIBILITY)
    matches = _candidates(grant.client_id, search)
    if not matches:
        record_phi_read(
            Reader(user=viewer, edge=Edge.WEB, request=request),  # type: ignore[arg-type]
            action=ACTION_ELIGIBILITY_NOT_FOUND,
            subject=grant,
            details={"client": str(grant.client.public_id), "grant": str(grant.public_id)},
        )
        return []
    subscriber_ids = [m.pk for m in matches if m.subscriber_id is None]
    dependents: dict[int, list[Member]] = {pk: [] for pk in subscriber_ids}
    # Only people on this client's plans, even if a card's family was split across clients.
    for dependent in Member.objects.filter(
        subscriber_id__in=subscriber_ids, plan__client_id=grant.client_id
    ).order_by("person_code", "pk"):
        dependents[dependent.subscriber_id].append(dependent)  # type: ignore[index]
    plan_years = {m.plan.plan_year for m in matches}
    rows = [
        row for year in sorted(plan_years) for row in list_accumulator_rows(
            members=[m for m in matches if m.plan.plan_year == year], plan_year=year
        )
    ]  # fmt: skip
    records = []
    for member in matches:
        family = dependents.get(member.pk, [])
        subscriber = member.subscriber
        if subscriber is not None and subscriber.plan.client_id != grant.client_id:
            subscriber = None  # on another client's plan: not this sponsor's to see
        records.append(
            EligibilityRecord(
                member=member,
                covered_today=member.coverage_start <= today
                and (member.coverage_end is None or today <= member.coverage_end),
                subscriber=subscriber,
                dependents=family,
                accumulators=build_accumulator_summary(
                    member=member,
                    plan_year=member.plan.plan_year,
                    rows=rows,
                    has_family_on_plan=member.subscriber_id is not None or bool(family),
                ),
            )
        )
        record_phi_read(
            Reader(user=viewer, edge=Edge.WEB, request=request),  # type: ignore[arg-type]
            action=ACTION_ELIGIBILITY_VIEWED,
            subject=member,
            details={
                "client": str(grant.client.public_id),
                "grant": str(grant.public_id),
                "subscriber": str(subscriber.public_id) if subscriber else None,
                "dependents": [str(d.public_id) for d in family],
            },
        )
    return records


# --- Claims reports ----------------------------------------------------------------------------


def _own_reports(viewer: Viewer, grant: ToolGrant) -> QuerySet[ClaimsReport]:
    _check_grant(viewer, grant, Tool.CLAIMS_REPORTS)
    return ClaimsReport.objects.filter(requested_by_id=viewer.pk, client_id=grant.client_id).defer(
        "content"
    )


def list_own_reports(*, viewer: Viewer, grant: ToolGrant, limit: int = 10) -> list[ClaimsReport]:
    """The viewer's latest reports for this client (someone else's are never listed)."""
    return list(_own_reports(viewer, grant)[:limit])


def find_own_report(
    *, viewer: Viewer, grant: ToolGrant, public_id: uuid.UUID
) -> ClaimsReport | None:
    """One of the viewer's reports for this client (without its file), or None."""
    return _own_reports(viewer, grant).filter(public_id=public_id).first()
