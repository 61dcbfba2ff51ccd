"""Pharmacies near a ZIP code or a point, nearest first, with the member's network status."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from rxportal.api.pagination import page_link
from rxportal.api.problems import invalid
from rxportal.pharmacies.domain import PharmacyKind
from rxportal.pharmacies.selectors import (
    MAX_PAGE,
    LocationProblem,
    find_search_location,
    find_viewer_network,
    get_pharmacy_search_page,
)

router = Router(tags=["pharmacies"])

MAX_RADIUS_MILES = 50


class PharmacySearchIn(Schema):
    zip: str | None = Field(default=None, pattern=r"^\d{5}$", description="A 5-digit ZIP code.")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius: int = Field(default=10, ge=1, le=MAX_RADIUS_MILES, description="Miles.")
    open_24_hours: bool = False
    preferred: bool = Field(default=False, description="Only pharmacies preferred in the plan.")
    kind: list[PharmacyKind] = Field(default_factory=list)
    page: int = Field(default=1, ge=1, le=MAX_PAGE)


class NearbyPharmacyOut(Schema):
    public_id: str
    name: str
    address_line: str
    city: str
    state: str
    zip_code: str
    phone: str
    hours: str
    is_24_hours: bool
    kinds: list[str]  # retail, mail, specialty
    latitude: float
    longitude: float
    distance_miles: float
    # In the member's plan network (null when the caller is not a plan member).
    in_network: bool | None
    preferred: bool | None


class PharmacyPageOut(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    next: str | None
    previous: str | None
    results: list[NearbyPharmacyOut]


@router.get(
    "",
    response={200: PharmacyPageOut},
    summary="Pharmacies near a ZIP code or a point",
)
def search(request: HttpRequest, filters: Query[PharmacySearchIn]) -> PharmacyPageOut:
    """A ``zip``, or ``lat`` and ``lon``. Directory data: a valid token (any scope) is enough."""
    if filters.zip is None and (filters.lat is None or filters.lon is None):
        field = "query.lon" if filters.lat is not None else "query.lat"
        if filters.lat is None and filters.lon is None:
            field = "query.zip"
        raise invalid(field, _("Give a 5-digit ZIP code, or both lat and lon."), code="missing")
    lookup = find_search_location(
        text=filters.zip or "", latitude=filters.lat, longitude=filters.lon
    )
    if lookup.location is None:
        code = lookup.problem.value if lookup.problem else LocationProblem.UNKNOWN_ZIP.value
        raise invalid("query.zip", _("We have no location for this ZIP code."), code=code)
    network = find_viewer_network(viewer=request.user)
    result = get_pharmacy_search_page(
        location=lookup.location,
        radius_miles=filters.radius,
        network=network,
        open_24_hours=filters.open_24_hours,
        preferred_only=filters.preferred,
        kinds=filters.kind,
        page=filters.page,
    )
    return PharmacyPageOut(
        count=result.total,
        page=result.page,
        page_size=result.page_size,
        pages=result.page_count,
        next=page_link(request, result.page + 1) if result.has_next else None,
        previous=page_link(request, result.page - 1) if result.has_previous else None,
        results=[
            NearbyPharmacyOut(
                public_id=str(pharmacy.public_id),
                name=pharmacy.name,
                address_line=pharmacy.address_line,
                city=pharmacy.city,
                state=pharmacy.state,
                zip_code=pharmacy.zip_code,
                phone=pharmacy.phone,
                hours=pharmacy.hours,
                is_24_hours=pharmacy.is_24_hours,
                kinds=[
                    kind
                    for kind, present in (
                        ("retail", pharmacy.is_retail),
                        ("mail", pharmacy.is_mail),
                        ("specialty", pharmacy.is_specialty),
                    )
                    if present
                ],
                latitude=pharmacy.latitude,
                longitude=pharmacy.longitude,
                distance_miles=round(pharmacy.distance_miles, 2),
                in_network=pharmacy.in_network,
                preferred=pharmacy.is_preferred,
            )
            for pharmacy in result.pharmacies
        ],
    )
