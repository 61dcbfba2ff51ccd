"""Drug search, suggestions as you type, and the drug page: thin edges over the selectors.

Search and the drug's strengths and forms are public reference data; the coverage part of
the drug page (tier, rules, costs) is shown only to a signed-in plan member, for their own
plan, and that view is audited.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from rxportal.formulary import domain
from rxportal.formulary.errors import DrugNotFound
from rxportal.formulary.forms import DrugSearchForm
from rxportal.formulary.selectors import (
    DrugSearchGroup,
    DrugSuggestion,
    get_drug_page,
    list_drug_suggestions,
    search_drugs,
)
from rxportal.records.reads import reader_for_page, record_phi_read

DRUG_COVERAGE_VIEWED = "phi.drug_coverage.viewed"


@never_cache  # the page's header differs for a signed-in visitor
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Open to everyone: drug names, strengths and forms are public reference data."""
    groups: list[DrugSearchGroup] | None = None
    if "q" in request.GET:
        form = DrugSearchForm(request.GET)
        if form.is_valid():
            groups = search_drugs(query=form.cleaned_data["q"])
    else:
        form = DrugSearchForm()
    return render(request, "formulary/search.html", {"form": form, "groups": groups})


@require_safe
def suggest(request: HttpRequest) -> JsonResponse:
    """`?q=` -> {"query", "count", "message", "results": [{name, detail, public_id, url}]}.

    Under 2 characters or over the limit: no results and a message, never an error status
    (the box is still being typed in). Not cached by shared caches: what a member types is
    theirs, even if the answer is public.
    """
    form = DrugSearchForm(request.GET)
    suggestions: list[DrugSuggestion] = []
    message = ""
    if form.is_valid():
        suggestions = list_drug_suggestions(query=form.cleaned_data["q"])
    else:
        message = " ".join(str(error) for error in form.errors.get("q", []))
    response = JsonResponse(
        {
            "query": str(request.GET.get("q", ""))[: domain.SEARCH_QUERY_MAX_CHARS],
            "count": len(suggestions),
            "message": message,
            "results": [_suggestion_json(suggestion) for suggestion in suggestions],
        }
    )
    response["Cache-Control"] = "private, max-age=60"
    return response


def _suggestion_json(suggestion: DrugSuggestion) -> dict[str, str]:
    if suggestion.is_brand:
        detail = _("Brand of %(generic)s") % {"generic": suggestion.ingredient}
    else:
        detail = _("Generic")
    return {
        "name": suggestion.label,
        "detail": detail,
        "kind": suggestion.kind.value,
        "public_id": str(suggestion.public_id),
        "url": reverse("formulary:drug", args=[suggestion.public_id]),
    }


@never_cache  # a member sees their plan's coverage and costs
@require_safe
def drug(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    try:
        page = get_drug_page(public_id=public_id, viewer=request.user)
    except DrugNotFound:
        raise Http404 from None
    if page.coverage is not None:
        # The member's coverage and costs (their accumulators) are PHI: one audit event.
        # The audit guard refuses detail keys naming a drug, so the id goes under "item".
        record_phi_read(
            reader_for_page(request),
            action=DRUG_COVERAGE_VIEWED,
            subject=page.coverage.member,
            details={
                "item": str(page.drug.public_id),
                "covered": page.coverage.is_covered,
                "alternatives": len(page.coverage.alternatives),
            },
        )
    return render(request, "formulary/drug.html", {"page": page, "drug": page.drug})
