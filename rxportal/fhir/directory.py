"""The public pharmacy directory under /fhir/R4 (Da Vinci Plan-Net): Organization (pharmacies,
networks and the PBM as their payer), Location and HealthcareService, read and searched
without sign-in. Public facts only: no member, no network status of anyone.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern, path

from rxportal.fhir import plannet
from rxportal.fhir.public_search import (
    NotFound,
    SearchError,
    bundle,
    check_parameters,
    page_size,
    public_endpoint,
    read_cursor,
    reference_ids,
    search_param,
    token_codes,
    values_of,
)
from rxportal.pharmacies import published as directory
from rxportal.pharmacies.published import PublishedPharmacy

_ZIP_RE = re.compile(r"(\d{5})(-\d{4})?")
# A nearby search reads the finder's bounding box: its radius is bounded like the finder's.
MAX_NEAR_MILES = 50.0
DEFAULT_NEAR_MILES = 5.0
_KM_PER_MILE = 1.609344
# Deepest offset a nearby search pages to (the finder's own limit is 500 pages of 20).
MAX_NEAR_OFFSET = 10_000


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _uuids(values: list[str] | None) -> list[uuid.UUID] | None:
    """Ids as public ids; ids that cannot be one simply match nothing."""
    if values is None:
        return None
    return [found for value in values if (found := _uuid(value)) is not None]


def _one(request: HttpRequest, name: str) -> str:
    values = values_of(request, name)
    if values is None:
        return ""
    if len(values) > 1:
        raise SearchError(f"Give one {name}.")
    return values[0]


def _zip_code(request: HttpRequest) -> str:
    value = _one(request, "address-postalcode")
    if not value:
        return ""
    match = _ZIP_RE.fullmatch(value)
    if match is None:
        raise SearchError("address-postalcode must be a ZIP code (5 digits, or ZIP+4).")
    return match.group(1)


def _network(request: HttpRequest) -> uuid.UUID | bool | None:
    """The network asked for; False when one was asked for that cannot exist."""
    ids = reference_ids(request, "network", resource_type="Organization")
    if ids is None:
        return None
    if len(ids) != 1:
        raise SearchError("Give one network.")
    return _uuid(ids[0]) or False


def _pharmacy_page(
    request: HttpRequest, kind: str, *, ids: list[str] | None, count: int, after: Any = None
) -> directory.PharmacyPage:
    network = _network(request)
    public_ids = _uuids(ids)
    if network is False or public_ids == []:
        return directory.PharmacyPage([], None)
    return directory.list_pharmacies(
        public_ids=public_ids,
        zip_code=_zip_code(request),
        name_prefix=_one(request, "name"),
        network=network if isinstance(network, uuid.UUID) else None,
        after=after if after is not None else read_cursor(request, kind),
        limit=count,
    )


def _near(request: HttpRequest) -> tuple[float, float, float] | None:
    """``near=latitude|longitude|distance|unit`` (distance in mi or km; 5 miles if absent)."""
    raw = request.GET.get("near")
    if raw is None:
        return None
    parts = raw.split("|")
    try:
        latitude, longitude = float(parts[0]), float(parts[1])
        distance = float(parts[2]) if len(parts) > 2 and parts[2] else DEFAULT_NEAR_MILES
    except (ValueError, IndexError) as error:
        raise SearchError("near must be latitude|longitude|distance|unit.") from error
    unit = parts[3] if len(parts) > 3 and parts[3] else "mi"
    if unit in ("km", "[km]"):
        distance /= _KM_PER_MILE
    elif unit not in ("mi", "[mi_i]", "[mi_us]"):
        raise SearchError("near's unit must be mi or km.")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or distance <= 0:
        raise SearchError("near is out of range.")
    if distance > MAX_NEAR_MILES:
        raise SearchError(f"near's distance may be at most {MAX_NEAR_MILES:g} miles.")
    return latitude, longitude, distance


# --- Location ---------------------------------------------------------------------------------

_LOCATION_PARAMETERS = ("_id", "name", "address-postalcode", "near", "network")


@public_endpoint
def search_locations(request: HttpRequest) -> dict[str, Any]:
    check_parameters(request, _LOCATION_PARAMETERS)
    count = page_size(request)
    near = _near(request)
    if near is not None:
        if set(request.GET) & set(_LOCATION_PARAMETERS) - {"near"}:
            raise SearchError("near cannot be combined with other filters.", code="not-supported")
        offset = read_cursor(request, "Location.near") or 0
        if not isinstance(offset, int) or not 0 <= offset <= MAX_NEAR_OFFSET:
            raise SearchError("The _cursor is not one this server issued.")
        latitude, longitude, miles = near
        pharmacies = directory.list_pharmacies_near(
            latitude=latitude,
            longitude=longitude,
            radius_miles=miles,
            offset=offset,
            limit=count + 1,
        )
        more = len(pharmacies) > count and offset + count < MAX_NEAR_OFFSET
        return bundle(
            request,
            kind="Location.near",
            matches=[plannet.pharmacy_location(pharmacy) for pharmacy in pharmacies[:count]],
            after=offset + count if more else None,
        )
    page = _pharmacy_page(request, "Location", ids=values_of(request, "_id"), count=count)
    return bundle(
        request,
        kind="Location",
        matches=[plannet.pharmacy_location(pharmacy) for pharmacy in page.pharmacies],
        after=page.next_after,
    )


def _find_pharmacy(resource_type: str, resource_id: str) -> PublishedPharmacy:
    public_id = _uuid(resource_id)
    pharmacy = None if public_id is None else directory.find_pharmacy(public_id)
    if pharmacy is None:
        raise NotFound(f"No {resource_type}/{resource_id}.")
    return pharmacy


@public_endpoint
def read_location(request: HttpRequest, resource_id: str) -> dict[str, Any]:
    check_parameters(request, ())
    return plannet.pharmacy_location(_find_pharmacy("Location", resource_id))


# --- HealthcareService ------------------------------------------------------------------------

_SERVICE_PARAMETERS = (
    "_id",
    "name",
    "network",
    "location",
    "organization",
    "category",
    "address-postalcode",
)


@public_endpoint
def search_services(request: HttpRequest) -> dict[str, Any]:
    check_parameters(request, _SERVICE_PARAMETERS)
    count = page_size(request)
    categories = token_codes(request, "category", system=plannet.SERVICE_CATEGORY)
    if categories is not None and "pharm" not in categories:
        return bundle(request, kind="HealthcareService", matches=[], after=None)
    # A pharmacy's service, location and organization share its public id.
    ids: set[str] | None = None
    for values in (
        values_of(request, "_id"),
        reference_ids(request, "location", resource_type="Location"),
        reference_ids(request, "organization", resource_type="Organization"),
    ):
        if values is not None:
            ids = set(values) if ids is None else ids & set(values)
    page = _pharmacy_page(
        request, "HealthcareService", ids=None if ids is None else sorted(ids), count=count
    )
    return bundle(
        request,
        kind="HealthcareService",
        matches=[plannet.pharmacy_service(pharmacy) for pharmacy in page.pharmacies],
        after=page.next_after,
    )


@public_endpoint
def read_service(request: HttpRequest, resource_id: str) -> dict[str, Any]:
    check_parameters(request, ())
    return plannet.pharmacy_service(_find_pharmacy("HealthcareService", resource_id))


# --- Organization: the payer, its networks, then the pharmacies -------------------------------

_ORGANIZATION_PARAMETERS = ("_id", "name", "type", "address-postalcode", "partof")


def _organization_types(request: HttpRequest) -> set[str]:
    codes = token_codes(request, "type", system=plannet.ORG_TYPE)
    everything = {plannet.PAYER_TYPE, plannet.NETWORK_TYPE, plannet.PHARMACY_TYPE}
    return everything if codes is None else everything & set(codes)


@public_endpoint
def search_organizations(request: HttpRequest) -> dict[str, Any]:
    check_parameters(request, _ORGANIZATION_PARAMETERS)
    count = page_size(request)
    types = _organization_types(request)
    ids = values_of(request, "_id")
    name = _one(request, "name")
    zip_code = _zip_code(request)
    part_of = reference_ids(request, "partof", resource_type="Organization")
    after = read_cursor(request, "Organization")
    resources: list[dict[str, Any]] = []
    # The payer and its networks are a handful of rows: they lead the first page; the
    # pharmacies follow, paged by key. Neither has a postal code but the pharmacies.
    if after is None and not zip_code:
        if plannet.PAYER_TYPE in types and part_of is None:
            payer = plannet.payer_organization()
            if (ids is None or payer["id"] in ids) and payer["name"].upper().startswith(
                name.upper()
            ):
                resources.append(payer)
        if plannet.NETWORK_TYPE in types and (part_of is None or plannet.PAYER_ID in part_of):
            networks = directory.list_networks(public_ids=_uuids(ids), name_prefix=name)
            resources += [plannet.network_organization(network) for network in networks]
    page = directory.PharmacyPage([], None)
    if plannet.PHARMACY_TYPE in types and part_of is None:
        public_ids = _uuids(ids)
        if public_ids != []:
            page = directory.list_pharmacies(
                public_ids=public_ids,
                zip_code=zip_code,
                name_prefix=name,
                after=after,
                limit=max(count - len(resources), 1),
            )
    return bundle(
        request,
        kind="Organization",
        matches=[*resources, *map(plannet.pharmacy_organization, page.pharmacies)],
        after=page.next_after,
    )


@public_endpoint
def read_organization(request: HttpRequest, resource_id: str) -> dict[str, Any]:
    check_parameters(request, ())
    if resource_id == plannet.PAYER_ID:
        return plannet.payer_organization()
    public_id = _uuid(resource_id)
    if public_id is not None:
        network = directory.find_network(public_id)
        if network is not None:
            return plannet.network_organization(network)
        pharmacy = directory.find_pharmacy(public_id)
        if pharmacy is not None:
            return plannet.pharmacy_organization(pharmacy)
    raise NotFound(f"No Organization/{resource_id}.")


urlpatterns: list[URLPattern] = [
    path("Organization", search_organizations, name="organization-search"),
    path("Organization/<str:resource_id>", read_organization, name="organization-read"),
    path("Location", search_locations, name="location-search"),
    path("Location/<str:resource_id>", read_location, name="location-read"),
    path("HealthcareService", search_services, name="healthcareservice-search"),
    path("HealthcareService/<str:resource_id>", read_service, name="healthcareservice-read"),
]


_NAME = search_param("name", "string", "Name starts with (case-insensitive).")
_ZIP = search_param("address-postalcode", "string", "The 5-digit ZIP code.")
_NETWORK = search_param("network", "reference", "Organization/<network id>.")

# Read by the CapabilityStatement at /fhir/R4/metadata.
CAPABILITIES: list[dict[str, Any]] = [
    {
        "type": "Organization",
        "supportedProfile": [plannet.ORGANIZATION_PROFILE, plannet.NETWORK_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            search_param("_id", "token", "A public id (or rxportal, the payer)."),
            _NAME,
            search_param("type", "token", "ntwk (networks), prvgrp (pharmacies), payer."),
            _ZIP,
            search_param("partof", "reference", "Networks of Organization/rxportal."),
        ],
    },
    {
        "type": "Location",
        "supportedProfile": [plannet.LOCATION_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            search_param("_id", "token", "The pharmacy's public id."),
            _NAME,
            _ZIP,
            _NETWORK,
            search_param(
                "near",
                "special",
                "latitude|longitude|distance|unit (mi or km, at most 50 miles), nearest first.",
            ),
        ],
    },
    {
        "type": "HealthcareService",
        "supportedProfile": [plannet.SERVICE_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            search_param("_id", "token", "The pharmacy's public id."),
            _NAME,
            _NETWORK,
            _ZIP,
            search_param("location", "reference", "Location/<id>."),
            search_param("organization", "reference", "Organization/<id> (providedBy)."),
            search_param("category", "token", "pharm"),
        ],
    },
]
