"""The pharmacy finder page: a GET form over the finder selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from rxportal.pharmacies.forms import PharmacySearchForm
from rxportal.pharmacies.selectors import (
    LocationLookup,
    LocationProblem,
    PharmacySearchPage,
    find_search_location,
    find_viewer_network,
    get_pharmacy_search_page,
)

TEMPLATE = "pharmacies/finder.html"
_ECHO_MAX_CHARS = 60


@never_cache  # a member's page shows their plan's network
@require_safe
def finder(request: HttpRequest) -> HttpResponse:
    """Open to everyone; a signed-in member also sees their plan's network status."""
    network = find_viewer_network(viewer=request.user)
    if not request.GET:
        form = PharmacySearchForm()
        return render(request, TEMPLATE, {"form": form, "network": network, "result": None})

    form = PharmacySearchForm(request.GET)
    result: PharmacySearchPage | None = None
    if form.is_valid():
        search = form.cleaned_data
        lookup = find_search_location(
            text=search["location"], latitude=search["lat"], longitude=search["lon"]
        )
        if lookup.location is None:
            form.add_error("location", _location_problem_message(lookup, search["location"]))
            form.describe_fields()
        else:
            result = get_pharmacy_search_page(
                location=lookup.location,
                radius_miles=search["radius"],
                network=network,
                open_24_hours=search["open_24_hours"],
                preferred_only=search["preferred"],
                kinds=search["kind"],
                page=search["page"],
            )
    context: dict[str, Any] = {"form": form, "network": network, "result": result}
    if result is not None:
        context["page_links"] = {
            "previous": form.query_string(page=result.page - 1) if result.has_previous else "",
            "next": form.query_string(page=result.page + 1) if result.has_next else "",
            "last": form.query_string(page=result.page_count),
        }
    return render(request, TEMPLATE, context)


def _location_problem_message(lookup: LocationLookup, typed: str) -> str:
    text = Truncator(typed).chars(_ECHO_MAX_CHARS)
    match lookup.problem:
        case LocationProblem.MISSING:
            return _("Enter a ZIP code or a city and state, or use your location.")
        case LocationProblem.BAD_ZIP:
            return _("A ZIP code has 5 digits, like 06103.")
        case LocationProblem.UNKNOWN_ZIP:
            return _(
                "We could not find that ZIP code. Check the 5 digits, or search by city and state."
            )
        case LocationProblem.AMBIGUOUS_PLACE:
            return _(
                "“%(place)s” is in more than one state (%(states)s). "
                "Add the state, like Hartford, CT."
            ) % {"place": text, "states": ", ".join(lookup.states)}
        case _:
            return _(
                "We could not find “%(place)s”. Enter a 5-digit ZIP code, or a city and state "
                "like Hartford, CT. Street addresses cannot be looked up here: there is no "
                "address lookup, so include the ZIP code or the city."
            ) % {"place": text}
