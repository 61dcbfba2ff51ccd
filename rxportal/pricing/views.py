"""The cost estimator and price quote pages (member pages; every view of PHI is audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from rxportal.core import clock
from rxportal.formulary.models import Drug
from rxportal.members.access import get_visible_member_or_404, member_page
from rxportal.members.models import Member
from rxportal.members.selectors import list_family_members_visible_to
from rxportal.pharmacies.models import Pharmacy
from rxportal.plans.models import Channel
from rxportal.pricing import presentation, selectors
from rxportal.pricing.errors import (
    InvalidDaysSupply,
    InvalidQuantity,
    PricingError,
)
from rxportal.pricing.forms import EstimateForm
from rxportal.pricing.selectors import CostEstimate
from rxportal.pricing.services import create_price_quote
from rxportal.records.reads import reader_for_page, record_phi_read

ESTIMATE_TEMPLATE = "pricing/estimate.html"


@dataclass
class _EstimateRequest:
    """What the estimator form resolved to (or why it could not)."""

    form: EstimateForm
    person: Member | None = None
    drug: Drug | None = None
    pharmacy: Pharmacy | None = None
    matches: list[Drug] | None = None
    estimate: CostEstimate | None = None


def _build_form(request: HttpRequest, data: QueryDict | None) -> EstimateForm:
    people = list_family_members_visible_to(viewer=request.user, today=clock.today())
    nearby = selectors.list_estimator_pharmacies(member=request.member)  # type: ignore[attr-defined]
    pharmacy_choices = [
        (str(p.public_id), f"{p.name}, {p.city} ({p.distance_miles:.1f} mi)") for p in nearby
    ]
    if data is not None:
        data = data.copy()
        data.setdefault("channel", Channel.RETAIL_30.value)
        wanted = data.get("pharmacy", "")
        if wanted and wanted not in {value for value, _label in pharmacy_choices}:
            # A pharmacy picked in the finder may be further away than the nearest few.
            chosen = selectors.find_pharmacy_by_public_id(wanted)
            if chosen is not None:
                pharmacy_choices.append((str(chosen.public_id), f"{chosen.name}, {chosen.city}"))
    return EstimateForm(
        data,
        people=[(str(m.public_id), m.first_name) for m in people],
        pharmacies=pharmacy_choices,
    )


def _resolve(request: HttpRequest, data: QueryDict) -> _EstimateRequest:
    form = _build_form(request, data)
    resolved = _EstimateRequest(form=form)
    if not form.is_valid():
        return resolved
    values = form.cleaned_data
    resolved.person = get_visible_member_or_404(request=request, public_id=values["person"])
    if values["pharmacy"]:
        resolved.pharmacy = selectors.find_pharmacy_by_public_id(values["pharmacy"])
    if values["drug"]:
        resolved.drug = selectors.find_drug_by_public_id(values["drug"])
        if resolved.drug is None:
            form.add_error("q", _("We could not find that drug. Search for it by name."))
            return resolved
    else:
        matches = selectors.list_drugs_matching(values["q"])
        if not matches:
            form.add_error(
                "q",
                _("No drug matches “%(text)s”. Check the spelling or search the drug list.")
                % {"text": values["q"][:60]},
            )
            return resolved
        if len(matches) > 1:
            resolved.matches = matches
            return resolved
        resolved.drug = matches[0]
    try:
        resolved.estimate = selectors.get_cost_estimate(
            member=resolved.person,
            drug=resolved.drug,
            channel=values["channel"],
            days_supply=values["days_supply"],
            quantity=values["quantity"],
            pharmacy=resolved.pharmacy,
            today=clock.today(),
        )
    except InvalidQuantity as error:
        form.add_error("quantity", error.message)
    except InvalidDaysSupply as error:
        form.add_error("days_supply", error.message)
    except PricingError as error:
        form.add_error(None, error.message)
    return resolved


def _pick_links(data: QueryDict, matches: list[Drug]) -> list[tuple[Drug, str]]:
    """Each matching drug with the query string that estimates it (other inputs kept)."""
    keep = {k: v for k, v in data.items() if k not in {"q", "drug"} and v}
    return [(drug, urlencode({**keep, "drug": str(drug.public_id)})) for drug in matches]


def _audit_estimate(request: HttpRequest, resolved: _EstimateRequest) -> None:
    estimate = resolved.estimate
    assert estimate is not None and resolved.person is not None
    record_phi_read(
        reader_for_page(request),
        action="phi.cost_estimate.viewed",
        subject=resolved.person,
        details={
            "channel": estimate.chosen.channel,
            "covered": estimate.chosen.covered,
            "pharmacy_chosen": resolved.pharmacy is not None,
            "options": len(estimate.options),
        },
    )


@member_page
@require_safe
def estimate(request: HttpRequest) -> HttpResponse:
    """The estimator: a GET form; with a drug, the estimate, its reasons and the other options."""
    context: dict[str, Any] = {"resolved": None}
    if not (request.GET.get("drug") or request.GET.get("q")):
        context["form"] = _build_form(request, None)
        return render(request, ESTIMATE_TEMPLATE, context)
    resolved = _resolve(request, request.GET)
    context.update(resolved=resolved, form=resolved.form)
    if resolved.matches:
        context["pick_links"] = _pick_links(request.GET, resolved.matches)
    if resolved.estimate is not None:
        _audit_estimate(request, resolved)
        context["save_inputs"] = {
            "person": str(resolved.person.public_id) if resolved.person else "",
            "drug": str(resolved.estimate.chosen.drug.public_id),
            "channel": resolved.form.cleaned_data["channel"],
            "quantity": resolved.form.cleaned_data["quantity"] or "",
            "days_supply": resolved.form.cleaned_data["days_supply"] or "",
            "pharmacy": resolved.form.cleaned_data["pharmacy"],
        }
    return render(request, ESTIMATE_TEMPLATE, context)


@member_page
@require_POST
def save_quote(request: HttpRequest) -> HttpResponse:
    """Re-estimate the posted inputs on the server (never trusting posted amounts), then save."""
    if not request.POST.get("drug"):
        messages.error(request, _("Choose a drug before saving a price quote."))
        return redirect("pricing:estimate")
    resolved = _resolve(request, request.POST)
    if resolved.estimate is None or resolved.person is None:
        errors = [str(e) for field_errors in resolved.form.errors.values() for e in field_errors]
        messages.error(request, " ".join(errors) or _("We could not save that price quote."))
        return redirect("pricing:estimate")
    try:
        quote = create_price_quote(
            member=resolved.person,
            estimate=resolved.estimate.chosen,
            actor=request.user,
            now=clock.now(),
        )
    except PricingError as error:
        messages.error(request, error.message)
        query = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken" and v}
        return redirect(f"{reverse('pricing:estimate')}?{urlencode(query)}")
    messages.success(request, _("Your price quote is saved."))
    return redirect("pricing:quote", public_id=quote.public_id)


@member_page
@require_safe
def quote_list(request: HttpRequest) -> HttpResponse:
    quotes = selectors.list_quotes_visible_to(viewer=request.user, today=clock.today())
    record_phi_read(
        reader_for_page(request),
        action="phi.price_quotes.viewed",
        subject=request.member,  # type: ignore[attr-defined]
        details={"count": len(quotes)},
    )
    return render(request, "pricing/quote_list.html", {"quotes": quotes, "now": clock.now()})


@member_page
@require_safe
def quote_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    quote = selectors.find_quote_for(viewer=request.user, public_id=public_id, today=clock.today())
    if quote is None:
        raise Http404
    comparison = selectors.find_claim_comparison_for_quote(quote)
    record_phi_read(
        reader_for_page(request),
        action="phi.price_quote.viewed",
        subject=quote,
        details={"claim_matched": comparison is not None},
    )
    context = {
        "quote": quote,
        "explanation": presentation.quote_explanation(quote),
        "comparison": comparison,
        "is_valid_now": quote.quoted_at <= clock.now() < quote.valid_until,
        "last_valid_day": selectors.last_valid_day(quote),
    }
    return render(request, "pricing/quote_detail.html", context)
