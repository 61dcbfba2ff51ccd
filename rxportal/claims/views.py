"""Member pages of the claims app: thin edges over its selectors and services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from rxportal.claims import statements
from rxportal.claims.domain import ClaimQuery, ClaimSort, SortOrder, compute_spending_chart
from rxportal.claims.errors import InvalidCursor, StatementTooLarge, UnknownPerson
from rxportal.claims.forms import ClaimFilterForm, sort_value
from rxportal.claims.selectors import (
    ClaimHistoryPage,
    ClaimScope,
    find_claim,
    find_claim_scope,
    get_claim_history_page,
    get_claim_statement,
    get_claim_summary,
    iter_claims_for_export,
)
from rxportal.core import clock
from rxportal.members.access import member_page
from rxportal.pricing.selectors import find_quote_comparison
from rxportal.records.reads import reader_for_page, record_phi_read

LIST_TEMPLATE = "claims/list.html"
# Sortable columns of the table: the sort, and its order when first chosen.
_COLUMN_SORTS = {
    "date": (ClaimSort.DATE, SortOrder.DESCENDING),
    "drug": (ClaimSort.DRUG, SortOrder.ASCENDING),
    "you_paid": (ClaimSort.YOU_PAID, SortOrder.DESCENDING),
    "plan_paid": (ClaimSort.PLAN_PAID, SortOrder.DESCENDING),
}


def _scope(request: HttpRequest) -> ClaimScope:
    scope = find_claim_scope(viewer=request.user, today=clock.today())
    if scope is None:  # member_page lets only members in
        raise Http404
    return scope


def _bound_form(request: HttpRequest, scope: ClaimScope) -> ClaimFilterForm:
    return ClaimFilterForm(request.GET, people=scope.people, default_period=scope.default_period)


def _audit_details(form: ClaimFilterForm, query: ClaimQuery, **extra: Any) -> dict[str, Any]:
    return {
        "filters": query.filter_kinds(default_period=form.default_period),
        "sort": sort_value(query.sort, query.order),
        **extra,
    }


def _audit_subject(request: HttpRequest, scope: ClaimScope, query: ClaimQuery) -> Any:
    return (scope.find_person(query.person) if query.person else None) or request.member  # type: ignore[attr-defined]


@member_page
@require_safe
def claim_list(request: HttpRequest) -> HttpResponse:
    """Filtered, sorted keyset pages of the family's claims, their totals and monthly chart."""
    today = clock.today()
    scope = _scope(request)
    form = _bound_form(request, scope)
    context: dict[str, Any] = {"form": form, "scope": scope, "page": None}
    if not form.is_valid():
        return render(request, LIST_TEMPLATE, context)
    query = form.to_query()
    cursor_was_invalid = form.cursor_was_invalid
    try:
        # The totals first: their count tells the page whether one plain query will do.
        summary = get_claim_summary(scope=scope, query=query, today=today)
        count = summary.claim_count
        try:
            page = get_claim_history_page(
                scope=scope,
                query=query,
                after=form.after_cursor,
                before=form.before_cursor,
                claim_count=count,
            )
        except InvalidCursor:
            cursor_was_invalid = True
            page = get_claim_history_page(scope=scope, query=query, claim_count=count)
    except UnknownPerson as error:  # the form's choices already refuse this
        form.add_error("person", error.message)
        return render(request, LIST_TEMPLATE, context)
    record_phi_read(
        reader_for_page(request),
        action="phi.claims.viewed",
        subject=_audit_subject(request, scope, query),
        details=_audit_details(
            form,
            query,
            count=len(page.claims),
            page="later" if form.after_cursor or form.before_cursor else "first",
        ),
    )
    context.update(
        page=page,
        query=query,
        summary=summary,
        chart=compute_spending_chart(summary.months),
        cursor_was_invalid=cursor_was_invalid,
        links=_links(form, query, page),
        columns=_column_sorts(form, query),
        claim_url_prefix=_claim_url_prefix(),
    )
    return render(request, LIST_TEMPLATE, context)


def _claim_url_prefix() -> str:
    """/claims/ of the claim pages: each row appends its id (one reverse() instead of 25)."""
    placeholder = "00000000-0000-0000-0000-000000000000"
    return reverse("claims:detail", args=[placeholder]).removesuffix(f"{placeholder}/")


def _links(form: ClaimFilterForm, query: ClaimQuery, page: ClaimHistoryPage) -> dict[str, str]:
    base = form.query_string()
    return {
        "previous": form.query_string(before=page.first.public_id)
        if page.has_previous and page.first
        else "",
        "next": form.query_string(after=page.last.public_id) if page.has_next and page.last else "",
        "csv": f"{reverse('claims:export_csv')}?{base}" if base else reverse("claims:export_csv"),
        "pdf": f"{reverse('claims:statement_pdf')}?{base}"
        if base
        else reverse("claims:statement_pdf"),
    }


def _column_sorts(form: ClaimFilterForm, query: ClaimQuery) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it (or flips its order) and its aria-sort."""
    columns = {}
    for name, (sort, first_order) in _COLUMN_SORTS.items():
        current = query.sort == sort
        if current:
            order = SortOrder.ASCENDING if query.descending else SortOrder.DESCENDING
            aria_sort = "descending" if query.descending else "ascending"
        else:
            order, aria_sort = first_order, ""
        columns[name] = {
            "href": "?" + form.query_string(sort=sort_value(sort, order)),
            "aria_sort": aria_sort,
        }
    return columns


@member_page
@require_safe
def claim_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    claim = find_claim(viewer=request.user, public_id=public_id, today=clock.today())
    if claim is None:
        raise Http404
    record_phi_read(
        reader_for_page(request),
        action="phi.claim.viewed",
        subject=claim,
        details={"status": claim.status},
    )
    return render(
        request,
        "claims/detail.html",
        {
            "claim": claim,
            "is_own": claim.member_id == request.member.pk,  # type: ignore[attr-defined]
            "quote_comparison": find_quote_comparison(claim=claim),
        },
    )


def _back_to_list(request: HttpRequest) -> HttpResponseRedirect:
    """Bad filters on a download: the list page with the same filters shows what is wrong."""
    query_string = request.GET.urlencode()
    url = reverse("claims:list")
    return HttpResponseRedirect(f"{url}?{query_string}" if query_string else url)


@dataclass(frozen=True)
class _DownloadFilters:
    """A download's valid filters: the viewer's scope, the bound form and its query."""

    scope: ClaimScope
    form: ClaimFilterForm
    query: ClaimQuery

    def record(self, request: HttpRequest, *, action: str, **details: Any) -> None:
        """The download's audit event (``details`` add to the filters' kinds and the sort)."""
        record_phi_read(
            reader_for_page(request),
            action=action,
            subject=_audit_subject(request, self.scope, self.query),
            details=_audit_details(self.form, self.query, **details),
        )


def _download_filters(request: HttpRequest) -> _DownloadFilters | None:
    """The filters of a download, from the URL; None when they are invalid."""
    scope = _scope(request)
    form = _bound_form(request, scope)
    if not form.is_valid():
        return None
    return _DownloadFilters(scope=scope, form=form, query=form.to_query())


@member_page
@require_safe
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """Every filtered claim as CSV, streamed (a family's ten years fit in a few hundred KB)."""
    filters = _download_filters(request)
    if filters is None:
        return _back_to_list(request)
    scope, query = filters.scope, filters.query
    try:
        summary = get_claim_summary(scope=scope, query=query, today=clock.today())
    except UnknownPerson:
        return _back_to_list(request)
    filters.record(request, action="phi.claims.exported", count=summary.claim_count, format="csv")
    response = StreamingHttpResponse(
        statements.stream_claims_csv(iter_claims_for_export(scope=scope, query=query)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"claims-{query.period.start.isoformat()}-to-{query.period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@member_page
@require_safe
def statement_pdf(request: HttpRequest) -> HttpResponse:
    """A printable statement of the paid claims of the filtered people and period."""
    filters = _download_filters(request)
    if filters is None:
        return _back_to_list(request)
    scope, query = filters.scope, filters.query
    try:
        statement = get_claim_statement(scope=scope, query=query, today=clock.today())
    except UnknownPerson:
        return _back_to_list(request)
    except StatementTooLarge:
        return render(
            request,
            LIST_TEMPLATE,
            {
                "form": filters.form,
                "scope": scope,
                "page": None,
                "problem": _(
                    "That period has too many claims for one statement. "
                    "Choose a shorter period or one person."
                ),
            },
            status=400,
        )
    filters.record(request, action="phi.claims.statement_downloaded", count=len(statement.lines))
    response = HttpResponse(
        statements.render_statement_pdf(statement), content_type="application/pdf"
    )
    filename = (
        f"claims-statement-{query.period.start.isoformat()}-to-{query.period.end.isoformat()}.pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
