"""Reads of claims and accumulators, scoped to the signed-in viewer."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, Q, QuerySet, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, TruncMonth

from rxportal.claims import domain
from rxportal.claims.domain import ClaimQuery, ClaimSort, MonthSpending, Period
from rxportal.claims.errors import InvalidCursor, StatementTooLarge, UnknownPerson
from rxportal.claims.models import Accumulator, AccumulatorScope, Claim, ClaimStatus
from rxportal.core.db_router import reads_from_replica
from rxportal.core.money import ZERO
from rxportal.members.models import Member
from rxportal.members.selectors import find_member_for_user, list_family_members_visible_to
from rxportal.plans.models import Plan

Viewer = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class AmountProgress:
    """How much of a plan-year limit (deductible or out-of-pocket maximum) has been used."""

    used: Decimal
    maximum: Decimal
    left: Decimal

    @classmethod
    def of(cls, *, used: Decimal, maximum: Decimal) -> AmountProgress:
        return cls(used=used, maximum=maximum, left=max(maximum - used, ZERO))

    @property
    def used_within_maximum(self) -> Decimal:
        """`used`, capped at the maximum: the value a progress bar can show."""
        return min(self.used, self.maximum)


@dataclass(frozen=True)
class AccumulatorSummary:
    """Deductible and out-of-pocket progress for one member's plan year.

    The family amounts are None when the plan has no family limits or the member has no
    family on the plan (self-only coverage).
    """

    plan_year: int
    individual_deductible: AmountProgress
    individual_oop: AmountProgress
    family_deductible: AmountProgress | None
    family_oop: AmountProgress | None

    @property
    def has_family(self) -> bool:
        return self.family_deductible is not None or self.family_oop is not None


# What the dashboard's recent claims table shows.
_RECENT_FIELDS = (
    "public_id",
    "member",
    "service_date",
    "status",
    "member_paid",
    "plan_paid",
    "drug__name",
    "pharmacy__name",
)


def list_recent_claims(
    *, viewer: Viewer, limit: int = 10, today: dt.date | None = None
) -> list[Claim]:
    """The newest claims of the viewer and of the family members they may see, newest first.

    One query (plus the family look-up), cut from each person's newest rows on the index
    (``_first_of_each``), so a long history costs nothing more: each claim has its ``member``
    (from the visible family), ``drug`` and ``pharmacy`` (names) set, and only
    ``_RECENT_FIELDS`` loaded.
    """
    visible = list_family_members_visible_to(viewer=viewer, today=today)
    if not visible:
        return []
    by_pk = {member.pk: member for member in visible}
    newest = ("-service_date", "-id")
    arms = [Claim.objects.filter(member_id=pk) for pk in by_pk]
    claims = list(
        Claim.objects.filter(_first_of_each(arms, ordering=newest, limit=limit))
        .select_related("drug", "pharmacy")
        .only(*_RECENT_FIELDS)
        .order_by(*newest)[:limit]
    )
    for claim in claims:
        claim.member = by_pk[claim.member_id]
    return claims


def get_accumulator_summary(
    *, viewer: Viewer, plan_year: int, family: Sequence[Member] | None = None
) -> AccumulatorSummary | None:
    """The viewer's own and family accumulators against their plan's limits; None for non-members.

    One query (the accumulators, asking at once whether a subscriber has dependents); a second
    one only for a subscriber without accumulators this year. ``family`` is what
    ``list_family_members_visible_to`` gave for the viewer, when the caller has it: a
    subscriber who sees a dependent has family on the plan, so the question is not asked.
    """
    member = find_member_for_user(user=viewer)
    if member is None:
        return None
    plan = member.plan
    family_head_id = member.family_head_id
    has_family_on_plan = member.subscriber_id is not None or (
        family is not None and any(other.pk != member.pk for other in family)
    )
    accumulators = Accumulator.objects.filter(
        plan=plan, plan_year=plan_year, member_id__in={member.pk, family_head_id}
    ).only("member_id", "plan_id", "scope", "deductible_met", "oop_met")
    if not has_family_on_plan:  # a subscriber: ask with the accumulators whether they have family
        accumulators = accumulators.annotate(
            has_dependents=Exists(Member.objects.filter(subscriber_id=member.pk))
        )
    rows = list(accumulators)
    if not has_family_on_plan:
        has_family_on_plan = (
            bool(getattr(rows[0], "has_dependents", False))
            if rows
            else member.dependents.exists()  # no accumulators yet this year
        )
    return build_accumulator_summary(
        member=member, plan_year=plan_year, rows=rows, has_family_on_plan=has_family_on_plan
    )


def list_accumulator_rows(*, members: Sequence[Member], plan_year: int) -> list[Accumulator]:
    """The plan-year accumulators of these members and of their families' subscribers, in one
    query. No viewer check: for callers that have already decided the members may be shown
    (the plan sponsor's eligibility lookup, scoped to the sponsor's own plans)."""
    ids = {m.pk for m in members} | {m.family_head_id for m in members}
    return list(
        Accumulator.objects.filter(plan_year=plan_year, member_id__in=ids).only(
            "member_id", "plan_id", "scope", "deductible_met", "oop_met"
        )
    )


def build_accumulator_summary(
    *, member: Member, plan_year: int, rows: Sequence[Accumulator], has_family_on_plan: bool
) -> AccumulatorSummary:
    """A member's individual and family progress against their plan's limits, from accumulator
    rows already read (``member.plan`` loaded). No query."""
    plan = member.plan
    rows = [row for row in rows if row.plan_id == plan.pk]
    individual = _find_row(rows, member_id=member.pk, scope=AccumulatorScope.INDIVIDUAL)
    family_row = _find_row(rows, member_id=member.family_head_id, scope=AccumulatorScope.FAMILY)
    family_deductible = family_oop = None
    if has_family_on_plan and plan.deductible_family is not None:
        family_deductible = AmountProgress.of(
            used=family_row.deductible_met if family_row else ZERO, maximum=plan.deductible_family
        )
    if has_family_on_plan and plan.oop_max_family is not None:
        family_oop = AmountProgress.of(
            used=family_row.oop_met if family_row else ZERO, maximum=plan.oop_max_family
        )
    return AccumulatorSummary(
        plan_year=plan_year,
        individual_deductible=AmountProgress.of(
            used=individual.deductible_met if individual else ZERO,
            maximum=plan.deductible_individual,
        ),
        individual_oop=AmountProgress.of(
            used=individual.oop_met if individual else ZERO, maximum=plan.oop_max_individual
        ),
        family_deductible=family_deductible,
        family_oop=family_oop,
    )


def _find_row(rows: Sequence[Accumulator], *, member_id: int, scope: str) -> Accumulator | None:
    for row in rows:
        if row.member_id == member_id and row.scope == scope:
            return row
    return None


# --- Claims history: the list, its totals and chart, the export and the statement ------------
#
# Every query below is bounded by the family's own rows: ``member_id IN (<the people the viewer
# may see>)`` plus the period, served by the index (member, -service_date, -id), so the page
# costs the same with 10 thousand or 10 million claims in the table. The page itself is cut
# from each person's first rows on that index (``_first_of_each``), so it costs the same with
# 50 or 50,000 claims in the family too. Pages are keyset pages (no OFFSET, no COUNT).

# Paid claims that do not reverse another (see domain.is_counted_in_totals).
COUNTED_IN_TOTALS = Q(status=ClaimStatus.PAID, reverses__isnull=True)
MAX_STATEMENT_LINES = 10_000
EXPORT_CHUNK_SIZE = 2_000

_SORT_KEYS: dict[ClaimSort, tuple[str, ...]] = {
    ClaimSort.DATE: ("service_date", "id"),
    ClaimSort.DRUG: ("drug_sort", "service_date", "id"),  # see _sortable
    ClaimSort.YOU_PAID: ("member_paid", "service_date", "id"),
    ClaimSort.PLAN_PAID: ("plan_paid", "service_date", "id"),
}

# What the list page shows: loading only these halves the time spent building model objects.
_LIST_FIELDS = (
    "public_id",
    "service_date",
    "status",
    "reject_code",
    "reject_reason",
    "member_paid",
    "plan_paid",
    "reverses_id",
    "member_id",
    "drug__public_id",
    "drug__name",
    "pharmacy__public_id",
    "pharmacy__name",
)


@dataclass(frozen=True)
class ClaimScope:
    """Whose claims the viewer may see, read once per request by ``find_claim_scope``.

    ``people`` comes only from ``members.selectors.list_family_members_visible_to``: the viewer
    first, then minor dependents and adult dependents who granted access. Build it with
    ``find_claim_scope``, never by hand: the history selectors below trust it.
    """

    member: Member
    people: tuple[Member, ...]

    @property
    def plan(self) -> Plan:
        return self.member.plan

    @property
    def shows_family(self) -> bool:
        return len(self.people) > 1

    @property
    def default_period(self) -> Period:
        return domain.compute_plan_year_period(self.plan.plan_year)

    def find_person(self, public_id: str | uuid.UUID) -> Member | None:
        return next((p for p in self.people if str(p.public_id) == str(public_id)), None)


def find_claim_scope(*, viewer: Viewer, today: dt.date) -> ClaimScope | None:
    """The viewer's claims scope; None when the viewer is not a plan member."""
    people = list_family_members_visible_to(viewer=viewer, today=today)
    if not people:
        return None
    return ClaimScope(member=people[0], people=tuple(people))


@dataclass(frozen=True)
class ClaimHistoryPage:
    claims: list[Claim]
    has_previous: bool
    has_next: bool
    cursor_was_invalid: bool = False

    @property
    def first(self) -> Claim | None:
        return self.claims[0] if self.claims else None

    @property
    def last(self) -> Claim | None:
        return self.claims[-1] if self.claims else None


@dataclass(frozen=True)
class ClaimSummary:
    """Totals of the filtered claims (paid claims only for the money) and the months to chart."""

    period: Period
    claim_count: int  # every status
    paid_count: int
    you_paid: Decimal
    plan_paid: Decimal
    months: list[MonthSpending]

    @property
    def not_counted(self) -> int:
        return self.claim_count - self.paid_count


def _filtered_claims(scope: ClaimScope, query: ClaimQuery) -> QuerySet[Claim]:
    return _claims_of(_people_ids(scope, query), query)


def _people_ids(scope: ClaimScope, query: ClaimQuery) -> list[int]:
    if query.person:
        person = scope.find_person(query.person)
        if person is None:
            raise UnknownPerson("That person is not one whose claims you may see.")
        return [person.pk]
    return [person.pk for person in scope.people]


def _claims_of(member_ids: Sequence[int], query: ClaimQuery) -> QuerySet[Claim]:
    """These people's claims that pass the query's filters (``member_id IN`` for several)."""
    if len(member_ids) == 1:
        claims = Claim.objects.filter(member_id=member_ids[0])
    else:
        claims = Claim.objects.filter(member_id__in=list(member_ids))
    claims = claims.filter(
        service_date__gte=query.period.start,
        service_date__lte=query.period.end,
    )
    if query.drug:
        drug_id = _as_uuid(query.drug)
        if drug_id is not None:
            claims = claims.filter(drug__public_id=drug_id)
        else:
            claims = claims.filter(drug__name__icontains=query.drug)
    if query.pharmacy:
        claims = claims.filter(pharmacy__name__icontains=query.pharmacy)
    if query.status is not None:
        claims = claims.filter(status=query.status.value)
    return claims


def _first_of_each(arms: Sequence[QuerySet[Claim]], *, ordering: Sequence[str], limit: int) -> Q:
    """``id IN`` the first ``limit`` rows of each arm (one person's claims) in ``ordering``.

    Why per person: one ``member_id IN (...)`` query has to read, join and sort every row of
    the family in the period before it can cut the page, so a long history costs more. Each
    arm is one walk of the (member, -service_date, -id) index that stops after ``limit`` rows;
    a page of the whole family is among the arms' rows, so the outer query sorts and joins at
    most people x limit rows, whatever the history. One statement: the arms are joined by
    UNION ALL, each wrapped in its own subquery (SQLite allows no LIMIT in a bare UNION arm).
    """
    firsts = [arm.order_by(*ordering).values("id")[:limit] for arm in arms]
    if len(firsts) == 1:
        return Q(id__in=firsts[0])
    parts, params = [], []
    for index, first in enumerate(firsts):
        # Django's own SQL for the arm, its values kept apart as parameters.
        sql, arm_params = first.query.get_compiler(using=first.db).as_sql()
        alias = f"person_{index}"
        parts.append(f"SELECT {alias}.id FROM ({sql}) AS {alias}")  # noqa: S608 (placeholders only)
        params.extend(arm_params)
    return Q(id__in=RawSQL(" UNION ALL ".join(parts), params))  # noqa: S611 (placeholders only)


def _sortable(claims: QuerySet[Claim], sort: ClaimSort) -> QuerySet[Claim]:
    """Drugs sort by the name members read (``Drug.display_name`` starts with the brand, else
    the ingredients; then the RxNorm name), regardless of case ("metformin" beside "Metformin
    ER"). Sorting on an expression also keeps PostgreSQL from walking the drug-name index for
    the whole formulary."""
    if sort == ClaimSort.DRUG:
        head = Coalesce(
            NullIf("drug__brand_name", Value("")), NullIf("drug__ingredient", Value(""))
        )
        return claims.annotate(drug_sort=Lower(Concat(head, Value(" "), "drug__name")))
    return claims


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _ordering(keys: Sequence[str], *, descending: bool) -> list[str]:
    return [f"-{key}" if descending else key for key in keys]


def _beyond(keys: Sequence[str], values: Sequence[Any], *, descending: bool) -> Q:
    """Rows after ``values`` in the order of ``keys``: (a, b, c) < (x, y, z), spelled out."""
    operator = "lt" if descending else "gt"
    conditions = [
        Q(**dict(zip(keys[:index], values[:index], strict=True)), **{f"{key}__{operator}": value})
        for index, (key, value) in enumerate(zip(keys, values, strict=True))
    ]
    return reduce(or_, conditions)


@reads_from_replica  # history: the scope (who may be seen) was read from the primary
def get_claim_history_page(
    *,
    scope: ClaimScope,
    query: ClaimQuery,
    after: uuid.UUID | None = None,
    before: uuid.UUID | None = None,
    page_size: int = domain.PAGE_SIZE,
) -> ClaimHistoryPage:
    """One keyset page of the filtered claims in the query's order.

    ``after`` / ``before`` name the last / first claim of the page the visitor came from; that
    claim must be among the filtered claims (else ``InvalidCursor``), which both validates the
    link and means there is a page on the side it came from. Two queries with a cursor (the
    cursor claim's sort values, then the page), one without, whatever the family's history:
    the page is cut from each person's first rows (``_first_of_each``).
    """
    member_ids = _people_ids(scope, query)
    keys = _SORT_KEYS[query.sort]
    cursor = after or before
    forwards = before is None
    descending = query.descending if forwards else not query.descending
    beyond = Q()
    if cursor is not None:
        boundary = (
            _sortable(_claims_of(member_ids, query), query.sort)
            .filter(public_id=cursor)
            .values_list(*keys)
            .first()
        )
        if boundary is None:
            raise InvalidCursor("That page link does not match these filters.")
        beyond = _beyond(keys, boundary, descending=descending)
    ordering = _ordering(keys, descending=descending)
    # Each person's first rows from the index, then the page of those, joined to its drugs and
    # pharmacies only. Two joins: the people come from the scope, and reversed claims are
    # looked up for the (rare) reversal rows after the page is read.
    arms = [_sortable(_claims_of([pk], query), query.sort).filter(beyond) for pk in member_ids]
    firsts = _first_of_each(arms, ordering=ordering, limit=page_size + 1)
    # The period again, though every id is in it: on PostgreSQL claims are partitioned by
    # plan year, and the bounds let this read open only the period's partitions.
    in_period = Q(service_date__gte=query.period.start, service_date__lte=query.period.end)
    claims = list(
        _sortable(Claim.objects.filter(firsts, in_period), query.sort)
        .select_related("drug", "pharmacy")
        .only(*_LIST_FIELDS)
        .order_by(*ordering)[: page_size + 1]
    )
    more = len(claims) > page_size
    claims = claims[:page_size]
    _attach_people_and_reversed_claims(claims, scope)
    if cursor is None:
        return ClaimHistoryPage(claims=claims, has_previous=False, has_next=more)
    if forwards:
        return ClaimHistoryPage(claims=claims, has_previous=True, has_next=more)
    if not more and len(claims) < page_size:
        # Back at the start with a short page (claims were added meanwhile): the first page.
        return get_claim_history_page(scope=scope, query=query, page_size=page_size)
    return ClaimHistoryPage(claims=claims[::-1], has_previous=more, has_next=True)


def _attach_people_and_reversed_claims(claims: list[Claim], scope: ClaimScope) -> None:
    """Set each claim's member from the scope's people, and the claim a reversal cancels
    (number and public id only, one query when the page has any reversal)."""
    people = {person.pk: person for person in scope.people}
    for claim in claims:
        claim.member = people[claim.member_id]
    reversed_ids = {claim.reverses_id for claim in claims if claim.reverses_id is not None}
    if not reversed_ids:
        return
    originals = Claim.objects.only("public_id", "claim_number").in_bulk(reversed_ids)
    for claim in claims:
        if claim.reverses_id is not None:
            claim.reverses = originals[claim.reverses_id]


@reads_from_replica
def get_claim_summary(*, scope: ClaimScope, query: ClaimQuery, today: dt.date) -> ClaimSummary:
    """Totals of the filtered claims and their paid spending per month: one GROUP BY query.

    Months run from the period's start to its end or today, whichever is earlier (and take in
    any later month that has claims), with zero for the months without paid claims.
    """
    rows = list(
        _filtered_claims(scope, query)
        .annotate(month=TruncMonth("service_date"))
        .values("month")
        .annotate(
            claims=Count("id"),
            paid=Count("id", filter=COUNTED_IN_TOTALS),
            you_paid=Sum("member_paid", filter=COUNTED_IN_TOTALS, default=ZERO),
            plan_paid=Sum("plan_paid", filter=COUNTED_IN_TOTALS, default=ZERO),
        )
        .order_by("month")
    )
    found = [
        MonthSpending(
            month=row["month"],
            you_paid=row["you_paid"],
            plan_paid=row["plan_paid"],
            paid_claims=row["paid"],
        )
        for row in rows
    ]
    claim_count = sum(row["claims"] for row in rows)
    period = query.period
    last = min(period.end, max(today, period.start))
    if found:
        last = max(last, found[-1].month)
    return ClaimSummary(
        period=period,
        claim_count=claim_count,
        paid_count=sum(month.paid_claims for month in found),
        you_paid=sum((month.you_paid for month in found), ZERO),
        plan_paid=sum((month.plan_paid for month in found), ZERO),
        months=domain.fill_months(found, start=period.start, end=last),
    )


def iter_claims_for_export(*, scope: ClaimScope, query: ClaimQuery) -> Iterator[Claim]:
    """Every filtered claim in the query's order, streamed in chunks (server-side cursor)."""
    keys = _SORT_KEYS[query.sort]
    return (
        _sortable(_filtered_claims(scope, query), query.sort)
        .select_related("member", "drug", "pharmacy", "reverses")
        .order_by(*_ordering(keys, descending=query.descending))
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )


@dataclass(frozen=True)
class StatementLine:
    service_date: dt.date
    claim_number: str
    person: str
    drug: str
    pharmacy: str
    you_paid: Decimal
    plan_paid: Decimal


@dataclass(frozen=True)
class ClaimStatement:
    """A statement of paid claims for FSA / HSA and tax records (rendered by statements.py)."""

    member_name: str
    member_id: str  # card number and person code, as on the ID card
    plan_name: str
    period: Period
    people: list[str]
    lines: list[StatementLine]
    you_paid: Decimal
    plan_paid: Decimal
    generated_on: dt.date


@reads_from_replica
def get_claim_statement(*, scope: ClaimScope, query: ClaimQuery, today: dt.date) -> ClaimStatement:
    """The paid claims (see ``COUNTED_IN_TOTALS``) of the filtered people, period, drug and
    pharmacy, oldest first. A status filter does not apply: a statement lists what was paid."""
    paid_query = ClaimQuery(
        period=query.period, person=query.person, drug=query.drug, pharmacy=query.pharmacy
    )
    claims = list(
        _filtered_claims(scope, paid_query)
        .filter(COUNTED_IN_TOTALS)
        .select_related("member", "drug", "pharmacy")
        .order_by("service_date", "id")[: MAX_STATEMENT_LINES + 1]
    )
    if len(claims) > MAX_STATEMENT_LINES:
        raise StatementTooLarge(
            "That period has too many claims for one statement.", limit=MAX_STATEMENT_LINES
        )
    lines = [
        StatementLine(
            service_date=claim.service_date,
            claim_number=claim.claim_number,
            person=claim.member.full_name,
            drug=claim.drug.display_name,
            pharmacy=claim.pharmacy.name if claim.pharmacy else "",
            you_paid=claim.member_paid,
            plan_paid=claim.plan_paid,
        )
        for claim in claims
    ]
    person = scope.find_person(query.person) if query.person else None
    people = [person] if person is not None else list(scope.people)
    member = scope.member
    return ClaimStatement(
        member_name=member.full_name,
        member_id=f"{member.member_id}-{member.person_code}",
        plan_name=scope.plan.name,
        period=query.period,
        people=[p.full_name for p in people],
        lines=lines,
        you_paid=sum((line.you_paid for line in lines), ZERO),
        plan_paid=sum((line.plan_paid for line in lines), ZERO),
        generated_on=today,
    )


def find_claim(*, viewer: Viewer, public_id: uuid.UUID, today: dt.date) -> Claim | None:
    """One claim of a person the viewer may see (with its original or its reversal), or None."""
    people = list_family_members_visible_to(viewer=viewer, today=today)
    if not people:
        return None
    return (
        Claim.objects.select_related(
            "member", "plan", "drug", "pharmacy", "prescription", "reverses", "reversal"
        )
        .filter(member_id__in=[person.pk for person in people], public_id=public_id)
        .first()
    )


# --- The service center, for a caller it has verified (rxportal.staff.services.service_center)

STAFF_CLAIMS_LIMIT = 50


def _is_pbm_staff(viewer: Viewer) -> bool:
    return bool(
        viewer.is_authenticated and viewer.is_active and getattr(viewer, "is_pbm_staff", False)
    )


def list_claims_for_staff(
    *, viewer: Viewer, member: Member, limit: int = STAFF_CLAIMS_LIMIT
) -> list[Claim]:
    """One member's own newest claims (at most ``limit``), with drug and pharmacy, for PBM staff
    (empty for anyone else). The caller check and the audit are the staff console's."""
    if not _is_pbm_staff(viewer):
        return []
    claims = list(
        Claim.objects.filter(member_id=member.pk)
        .select_related("drug", "pharmacy")
        .order_by("-service_date", "-id")[:limit]
    )
    for claim in claims:
        claim.member = member
    return claims


def find_claim_for_staff(*, viewer: Viewer, member: Member, public_id: uuid.UUID) -> Claim | None:
    """One of ``member``'s own claims (with its original or its reversal) for PBM staff."""
    if not _is_pbm_staff(viewer):
        return None
    return (
        Claim.objects.select_related(
            "member", "plan", "drug", "pharmacy", "prescription", "reverses", "reversal"
        )
        .filter(member_id=member.pk, public_id=public_id)
        .first()
    )


# --- A plan sponsor's claims report ------------------------------------------------------------


def list_claims_for_sponsor_report(
    *, client_id: int, start: dt.date, end: dt.date, drug_query: str = "", member_card: str = ""
) -> QuerySet[Claim]:
    """Every claim on the client's own plans (the plan the claim was priced under) in the
    range, optionally for one drug (name contains, or exact RxCUI) and one card number (all
    its people), oldest first, with what the sponsor CSV needs loaded. No viewer check: the
    caller (the claims-report service, behind a live PHI grant) has decided already."""
    claims = Claim.objects.filter(plan__client_id=client_id, service_date__range=(start, end))
    if drug_query:
        claims = claims.filter(Q(drug__name__icontains=drug_query) | Q(drug__rxcui=drug_query))
    if member_card:
        claims = claims.filter(member__member_id__iexact=member_card)
    return claims.select_related("member", "plan", "drug", "pharmacy", "reverses").order_by(
        "service_date", "id"
    )


def list_members_with_recent_paid_claims(
    *, drug_ids: Sequence[int], formulary_id: int, since: dt.date, today: dt.date
) -> dict[int, set[int]]:
    """Member pk -> the drugs (of `drug_ids`) paid for them on or after `since`, among members
    covered today by a plan on this formulary. For system jobs (formulary-change alerts),
    never a page: it is not scoped to a viewer."""
    found: dict[int, set[int]] = {}
    rows = (
        Claim.objects.filter(
            drug_id__in=list(drug_ids),
            status=ClaimStatus.PAID,
            service_date__gte=since,
            member__plan__formulary_id=formulary_id,
            member__coverage_start__lte=today,
        )
        .filter(Q(member__coverage_end__isnull=True) | Q(member__coverage_end__gte=today))
        .values_list("member_id", "drug_id")
        .distinct()
    )
    for member_id, drug_id in rows.iterator():
        found.setdefault(member_id, set()).add(drug_id)
    return found


# --- One patient's claims for a connected app (FHIR ExplanationOfBenefit) ---------------------


@dataclass(frozen=True)
class PatientClaimsQuery:
    """Filters of an app's claims search, already parsed by the edge. Lower bounds inclusive,
    upper bounds exclusive; None leaves that side open."""

    service_from: dt.date | None = None
    service_before: dt.date | None = None
    updated_from: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    claim_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PatientClaimsPage:
    claims: list[Claim]
    has_next: bool


# Newest first, as the claims page; ``id`` breaks ties so the keyset order is total.
_PATIENT_CLAIMS_KEYS = ("service_date", "id")


def _patient_claims(patient: Member, query: PatientClaimsQuery) -> QuerySet[Claim]:
    claims = Claim.objects.filter(member_id=patient.pk)
    if query.service_from is not None:
        claims = claims.filter(service_date__gte=query.service_from)
    if query.service_before is not None:
        claims = claims.filter(service_date__lt=query.service_before)
    if query.updated_from is not None:
        claims = claims.filter(updated_at__gte=query.updated_from)
    if query.updated_before is not None:
        claims = claims.filter(updated_at__lt=query.updated_before)
    if query.claim_id is not None:
        claims = claims.filter(public_id=query.claim_id)
    return claims


def get_patient_claims_page(
    *,
    patient: Member,
    query: PatientClaimsQuery,
    after: uuid.UUID | None = None,
    page_size: int = domain.PAGE_SIZE,
) -> PatientClaimsPage:
    """One keyset page of one patient's claims, newest first, each with its plan, drug,
    pharmacy, prescription and the claim it reverses or that reverses it.

    The caller has decided the reader may see ``patient`` (``records.reads.find_visible_member``).
    ``after`` is the last claim of the previous page; it must be among the filtered claims (else
    ``InvalidCursor``), so a link made for other filters or another patient is refused.
    """
    filtered = _patient_claims(patient, query)
    newest = _ordering(_PATIENT_CLAIMS_KEYS, descending=True)
    if after is not None:
        boundary = filtered.filter(public_id=after).values_list(*_PATIENT_CLAIMS_KEYS).first()
        if boundary is None:
            raise InvalidCursor("That page link does not match these filters.")
        filtered = filtered.filter(_beyond(_PATIENT_CLAIMS_KEYS, boundary, descending=True))
    # The page's ids from the index first, then the six joins for those rows only.
    page_ids = _first_of_each([filtered], ordering=newest, limit=page_size + 1)
    claims = list(
        Claim.objects.filter(page_ids)
        .select_related("plan", "drug", "pharmacy", "prescription", "reverses", "reversal")
        .order_by(*newest)[: page_size + 1]
    )
    for claim in claims:
        claim.member = patient
    return PatientClaimsPage(claims=claims[:page_size], has_next=len(claims) > page_size)


def find_patient_claim(*, patient: Member, public_id: uuid.UUID) -> Claim | None:
    """One of the patient's own claims (see ``get_patient_claims_page`` for who decides)."""
    page = get_patient_claims_page(
        patient=patient, query=PatientClaimsQuery(claim_id=public_id), page_size=1
    )
    return page.claims[0] if page.claims else None
