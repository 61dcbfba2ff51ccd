"""Claims history of the caller and the family they may see, with the filters of the /claims/
page (person, period, drug, pharmacy, status, sort) and cursor pages over the claims
selectors' keyset pages; one claim. Scope: ExplanationOfBenefit.

A page is ``{"items": [...], "next_cursor": "..." | null}``; the cursor is the public id of the
last claim of the page, and the selectors check it is among the claims the same filters find
(else a 400 problem ``invalid-cursor``), so a cursor from other filters is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from rxportal.api.auth import reader_for
from rxportal.api.guards import not_found, require_read, visible_member_or_404
from rxportal.api.problems import Problem
from rxportal.api.routers.prescriptions import DrugOut, drug_out
from rxportal.claims.domain import (
    FILTER_TEXT_MAX_LENGTH,
    MAX_PERIOD_YEARS,
    ClaimQuery,
    ClaimSort,
    Period,
    SortOrder,
    StatusFilter,
    is_period_too_long,
)
from rxportal.claims.errors import InvalidCursor
from rxportal.claims.selectors import find_claim, find_claim_scope, get_claim_history_page
from rxportal.core import clock
from rxportal.records.reads import record_phi_read

if TYPE_CHECKING:
    from rxportal.claims.models import Claim

RESOURCE = "ExplanationOfBenefit"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
# PostgreSQL cannot hold a NUL character in a query's text: refuse it as bad input (422).
NO_NUL = r"^[^\x00]*$"

router = Router(tags=["claims"])


class ClaimFilters(Schema):
    member: str | None = Field(None, description="A member public id: that person's claims only")
    date_from: dt.date | None = Field(None, description="Default: the plan year's first day")
    date_to: dt.date | None = Field(None, description="Default: the plan year's last day")
    drug: str = Field(
        "", max_length=FILTER_TEXT_MAX_LENGTH, pattern=NO_NUL, description="Name contains, or id"
    )
    pharmacy: str = Field(
        "", max_length=FILTER_TEXT_MAX_LENGTH, pattern=NO_NUL, description="Name contains"
    )
    status: StatusFilter | None = None
    sort: ClaimSort = ClaimSort.DATE
    order: SortOrder = SortOrder.DESCENDING
    cursor: str | None = Field(None, description="next_cursor of the previous page")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ClaimDrugOut(Schema):
    id: uuid.UUID
    name: str  # the RxNorm name
    display_name: str


class PharmacyRef(Schema):
    id: uuid.UUID
    name: str


class ClaimOut(Schema):
    id: uuid.UUID
    member: uuid.UUID
    service_date: dt.date
    status: str  # paid, reversed, rejected
    reject_code: str  # NCPDP reject code, or ""
    reject_reason: str  # the adjudicator's text, or ""
    drug: ClaimDrugOut
    pharmacy: PharmacyRef | None
    member_paid: Decimal
    plan_paid: Decimal
    reverses: uuid.UUID | None  # the claim this row reverses


class ClaimPageOut(Schema):
    items: list[ClaimOut]
    next_cursor: str | None


def _bad_request(slug: str, title: str, detail: str) -> Problem:
    return Problem(400, slug, title, detail)


def _period(filters: ClaimFilters, default: Period) -> Period:
    """The period in effect: each missing end from the plan year, as the page fills them in."""
    start, end = filters.date_from, filters.date_to
    if start is None:
        start = (
            dt.date(end.year, 1, 1) if end is not None and end < default.start else default.start
        )
    if end is None:
        end = default.end if start <= default.end else dt.date(start.year, 12, 31)
    if start > end:
        raise Problem(422, "invalid-period", _("Invalid period"), _("date_to is before date_from."))
    period = Period(start=start, end=end)
    if is_period_too_long(period):
        raise Problem(
            422,
            "invalid-period",
            _("Invalid period"),
            _("Choose a period of at most %(years)s years.") % {"years": MAX_PERIOD_YEARS},
        )
    return period


def _cursor(raw: str | None) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise _bad_request(
            "invalid-cursor", _("Invalid cursor"), _("That cursor is not one this API gave.")
        ) from None


def claim_out(claim: Claim) -> ClaimOut:
    """From the fields the history page loads (``claims.selectors._LIST_FIELDS``) only."""
    return ClaimOut(
        id=claim.public_id,
        member=claim.member.public_id,
        service_date=claim.service_date,
        status=claim.status,
        reject_code=claim.reject_code,
        reject_reason=claim.reject_reason,
        drug=ClaimDrugOut(
            id=claim.drug.public_id, name=claim.drug.name, display_name=claim.drug.display_name
        ),
        pharmacy=PharmacyRef(id=claim.pharmacy.public_id, name=claim.pharmacy.name)
        if claim.pharmacy
        else None,
        member_paid=claim.member_paid,
        plan_paid=claim.plan_paid,
        reverses=claim.reverses.public_id if claim.reverses else None,
    )


@router.get("", response=ClaimPageOut, summary="Claims history")
def list_claims(request: Any, filters: Query[ClaimFilters]) -> ClaimPageOut:
    """A page of claims (newest first by default), of the caller and the family members they
    may see, or of one of them (``member``), in the plan year unless a period is given."""
    require_read(request, RESOURCE, search=True)
    scope = find_claim_scope(viewer=request.user, today=clock.today())
    if scope is None:
        raise not_found("member")
    person = visible_member_or_404(request, filters.member) if filters.member else None
    query = ClaimQuery(
        period=_period(filters, scope.default_period),
        person=str(person.public_id) if person else "",
        drug=" ".join(filters.drug.split()),
        pharmacy=" ".join(filters.pharmacy.split()),
        status=filters.status,
        sort=filters.sort,
        order=filters.order,
    )
    after = _cursor(filters.cursor)
    try:
        page = get_claim_history_page(
            scope=scope, query=query, after=after, page_size=filters.limit
        )
    except InvalidCursor:
        raise _bad_request(
            "invalid-cursor",
            _("Invalid cursor"),
            _("That cursor does not belong to these filters: start again without it."),
        ) from None
    record_phi_read(
        reader_for(request),
        action="phi.claims.viewed",
        subject=person or scope.member,
        details={
            "filters": query.filter_kinds(default_period=scope.default_period),
            "sort": f"{query.sort.value}.{query.order.value}",
            "count": len(page.claims),
            "page": "later" if after else "first",
        },
    )
    return ClaimPageOut(
        items=[claim_out(claim) for claim in page.claims],
        next_cursor=str(page.last.public_id) if page.has_next and page.last else None,
    )


class PharmacyOut(PharmacyRef):
    npi: str


class ClaimDetailOut(Schema):
    id: uuid.UUID
    claim_number: str
    member: uuid.UUID
    service_date: dt.date
    status: str
    reject_code: str
    reject_reason: str
    channel: str  # plans' Channel code: retail_30, retail_90, mail_90...
    tier: str  # plans' Tier code
    quantity: Decimal
    days_supply: int
    total_cost: Decimal
    plan_paid: Decimal
    member_paid: Decimal
    deductible_applied: Decimal
    oop_applied: Decimal
    drug: DrugOut
    pharmacy: PharmacyOut | None
    prescription: uuid.UUID | None
    reverses: uuid.UUID | None
    reversed_by: uuid.UUID | None


@router.get("/{public_id}", response=ClaimDetailOut, summary="One claim")
def get_claim(request: Any, public_id: str) -> ClaimDetailOut:
    require_read(request, RESOURCE)
    try:
        wanted = uuid.UUID(public_id)
    except ValueError:
        raise not_found("claim") from None
    claim = find_claim(viewer=request.user, public_id=wanted, today=clock.today())
    if claim is None:
        raise not_found("claim")
    record_phi_read(
        reader_for(request),
        action="phi.claim.viewed",
        subject=claim,
        details={"status": claim.status},
    )
    reversal = getattr(claim, "reversal", None)
    return ClaimDetailOut(
        id=claim.public_id,
        claim_number=claim.claim_number,
        member=claim.member.public_id,
        service_date=claim.service_date,
        status=claim.status,
        reject_code=claim.reject_code,
        reject_reason=claim.reject_reason,
        channel=claim.channel,
        tier=claim.tier,
        quantity=claim.quantity,
        days_supply=claim.days_supply,
        total_cost=claim.total_cost,
        plan_paid=claim.plan_paid,
        member_paid=claim.member_paid,
        deductible_applied=claim.deductible_applied,
        oop_applied=claim.oop_applied,
        drug=drug_out(claim.drug),
        pharmacy=PharmacyOut(
            id=claim.pharmacy.public_id, name=claim.pharmacy.name, npi=claim.pharmacy.npi
        )
        if claim.pharmacy
        else None,
        prescription=claim.prescription.public_id if claim.prescription else None,
        reverses=claim.reverses.public_id if claim.reverses else None,
        reversed_by=reversal.public_id if reversal is not None else None,
    )
