"""Reads for the pharmacy finder: ZIP and place look-ups, and the pharmacies near a point.

Nearby search: a bounding box (domain.compute_bounding_box) on the indexed (latitude, longitude)
columns narrows the table to at most a few thousand rows, then the exact great-circle distance
filters and sorts them.

- PostgreSQL: one hand-written SQL query computes the distance, sorts, applies LIMIT/OFFSET and
  reads the viewer's network status with a sub-select that runs for the page's rows only.
- Other databases (the embedded SQLite): the box's rows, with the network status from one LEFT
  JOIN, are read and domain.compute_distance_miles filters and sorts them in Python.

Either way a page of results is one query: no N+1 for the network status.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce

from rxportal.members.selectors import find_member_for_user
from rxportal.pharmacies import domain
from rxportal.pharmacies.domain import PharmacyKind
from rxportal.pharmacies.models import Network, NetworkPharmacy, Pharmacy, ZipCentroid

PAGE_SIZE = 20
# 500 pages of 20 is far more than any radius holds; larger numbers are refused by the form.
MAX_PAGE = 500

_FIELDS = (
    "public_id",
    "name",
    "address_line",
    "city",
    "state",
    "zip_code",
    "phone",
    "hours",
    "is_24_hours",
    "is_retail",
    "is_mail",
    "is_specialty",
    "latitude",
    "longitude",
)
_KIND_FIELDS = {
    PharmacyKind.RETAIL: "is_retail",
    PharmacyKind.MAIL: "is_mail",
    PharmacyKind.SPECIALTY: "is_specialty",
}
_ZIP5_RE = re.compile(r"\d{5}")


@dataclass(frozen=True)
class NearbyPharmacy:
    """A pharmacy in the finder's results, with its distance and the viewer's network status.

    ``in_network`` and ``is_preferred`` are None when there is no network to compare with
    (an anonymous visitor, or a signed-in user who is not a plan member).
    """

    public_id: uuid.UUID
    name: str
    address_line: str
    city: str
    state: str
    zip_code: str
    phone: str
    hours: str
    is_24_hours: bool
    is_retail: bool
    is_mail: bool
    is_specialty: bool
    latitude: float
    longitude: float
    distance_miles: float
    in_network: bool | None
    is_preferred: bool | None

    @property
    def tel_uri(self) -> str | None:
        return domain.compute_tel_uri(self.phone)

    @property
    def directions_url(self) -> str:
        return domain.compute_directions_url(latitude=self.latitude, longitude=self.longitude)


# --- Where to search from ----------------------------------------------------------------------


class LocationKind(StrEnum):
    ZIP = "zip"
    PLACE = "place"
    COORDINATES = "coordinates"


class LocationProblem(StrEnum):
    MISSING = "missing"  # nothing typed, no coordinates
    BAD_ZIP = "bad_zip"  # digits, but not 5 of them
    UNKNOWN_ZIP = "unknown_zip"  # 5 digits we have no centroid for
    UNKNOWN_PLACE = "unknown_place"  # no place of that name (in that state)
    AMBIGUOUS_PLACE = "ambiguous_place"  # the name exists in several states


@dataclass(frozen=True)
class SearchLocation:
    latitude: float
    longitude: float
    label: str  # "06103", "Hartford, CT"; blank for the browser's location
    kind: LocationKind


@dataclass(frozen=True)
class LocationLookup:
    location: SearchLocation | None
    problem: LocationProblem | None = None
    states: tuple[str, ...] = ()  # where an ambiguous place name exists


def find_zip_centroid(zip_code: str) -> ZipCentroid | None:
    """The centroid of a 5-digit ZIP code (ZCTA), or None for anything else."""
    if not _ZIP5_RE.fullmatch(zip_code):
        return None
    return ZipCentroid.objects.filter(pk=zip_code).first()


def find_search_location(
    *, text: str, latitude: float | None = None, longitude: float | None = None
) -> LocationLookup:
    """Resolve the finder's location: typed text first (a ZIP anywhere in it, or a city and
    state), else the browser's coordinates. There is no geocoder: street addresses are not
    located, only their ZIP code or city."""
    if text.strip():
        query = domain.parse_location_query(text)
        if query.zip_code:
            centroid = find_zip_centroid(query.zip_code)
            if centroid is None:
                return LocationLookup(None, LocationProblem.UNKNOWN_ZIP)
            return LocationLookup(
                SearchLocation(
                    centroid.latitude, centroid.longitude, centroid.zip_code, LocationKind.ZIP
                )
            )
        if query.looks_like_bad_zip or not query.city_candidates:
            return LocationLookup(None, LocationProblem.BAD_ZIP)
        return _find_place(query.city_candidates, query.state)
    if latitude is not None and longitude is not None:
        return LocationLookup(SearchLocation(latitude, longitude, "", LocationKind.COORDINATES))
    return LocationLookup(None, LocationProblem.MISSING)


def _find_place(candidates: tuple[str, ...], state: str | None) -> LocationLookup:
    """Match a place name against ZipCentroid.place_names; the place's point is the mean of
    the centroids of the ZIP codes that list it."""
    rows = ZipCentroid.objects.all()
    if state:
        rows = rows.filter(state=state)
    else:  # the last word is in every candidate: a coarse filter before the exact match
        rows = rows.filter(place_names__icontains=candidates[-1].rsplit(" ", 1)[-1])
    named = [
        (
            row,
            {domain.normalize_place_name(name): name for name in domain.split_place_names(row[3])},
        )
        for row in rows.values_list("latitude", "longitude", "state", "place_names")
    ]
    for candidate in candidates:  # longest first
        matches = [(row, names[candidate]) for row, names in named if candidate in names]
        if not matches:
            continue
        states = sorted({row[2] for row, _ in matches})
        if len(states) > 1:
            return LocationLookup(None, LocationProblem.AMBIGUOUS_PLACE, tuple(states))
        latitude = sum(row[0] for row, _ in matches) / len(matches)
        longitude = sum(row[1] for row, _ in matches) / len(matches)
        label = f"{matches[0][1]}, {states[0]}"
        return LocationLookup(SearchLocation(latitude, longitude, label, LocationKind.PLACE))
    return LocationLookup(None, LocationProblem.UNKNOWN_PLACE)


def find_viewer_network(*, viewer: AbstractBaseUser | AnonymousUser) -> Network | None:
    """The pharmacy network of the signed-in member's plan; None for anyone else."""
    member = find_member_for_user(user=viewer)
    if member is None:
        return None
    return Network.objects.filter(pk=member.plan.network_id).first()


# --- Pharmacies near a point -------------------------------------------------------------------


def list_nearby_pharmacies(
    *,
    latitude: float,
    longitude: float,
    radius_miles: float,
    network: Network | None = None,
    open_24_hours: bool = False,
    preferred_only: bool = False,
    kinds: Collection[PharmacyKind | str] = (),
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[NearbyPharmacy]:
    """Pharmacies within ``radius_miles`` of the point, nearest first (then by name). One query.

    ``kinds`` keeps pharmacies of any of the given kinds (retail, mail, specialty).
    ``preferred_only`` needs a ``network``: preferred means preferred in that network.
    """
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    criteria = _Criteria.of(
        latitude, longitude, radius_miles, network, open_24_hours, preferred_only, kinds
    )
    if connection.vendor == "postgresql":
        return _list_in_sql(criteria, limit=limit, offset=offset)
    rows = _rows_in_box(criteria).values(*_value_fields(network), "pk")
    within = _within_radius_in_python(criteria, rows)
    within.sort(key=lambda pair: (pair[1], pair[0]["name"], pair[0]["pk"]))
    return [_nearby(row, distance, network) for row, distance in within[offset : offset + limit]]


def count_nearby_pharmacies(
    *,
    latitude: float,
    longitude: float,
    radius_miles: float,
    network: Network | None = None,
    open_24_hours: bool = False,
    preferred_only: bool = False,
    kinds: Collection[PharmacyKind | str] = (),
) -> int:
    """How many pharmacies ``list_nearby_pharmacies`` has in all, over every page."""
    criteria = _Criteria.of(
        latitude, longitude, radius_miles, network, open_24_hours, preferred_only, kinds
    )
    if connection.vendor == "postgresql":
        where, params = _sql_where(criteria)
        with connection.cursor() as cursor:
            sql = f"SELECT count(*) FROM {_PHARMACY_TABLE} p WHERE {where}"  # noqa: S608
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0])
    points = _rows_in_box(criteria).values("latitude", "longitude")
    return len(_within_radius_in_python(criteria, points))


@dataclass(frozen=True)
class PharmacySearchPage:
    """One page of finder results and what the pagination links need."""

    location: SearchLocation
    radius_miles: int
    pharmacies: list[NearbyPharmacy]
    total: int
    page: int
    page_size: int
    network: Network | None

    @property
    def page_count(self) -> int:
        return domain.compute_page_count(self.total, self.page_size)

    @property
    def is_past_the_end(self) -> bool:
        return self.page > self.page_count

    @property
    def has_previous(self) -> bool:
        return 1 < self.page <= self.page_count

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.pharmacies) - 1


def get_pharmacy_search_page(
    *,
    location: SearchLocation,
    radius_miles: int,
    network: Network | None,
    open_24_hours: bool = False,
    preferred_only: bool = False,
    kinds: Collection[PharmacyKind | str] = (),
    page: int = 1,
) -> PharmacySearchPage:
    """A page of nearby pharmacies and the total: one query, two when there may be more pages."""
    if not 1 <= page <= MAX_PAGE:
        raise ValueError(f"page must be between 1 and {MAX_PAGE}")
    criteria: dict[str, Any] = {
        "latitude": location.latitude,
        "longitude": location.longitude,
        "radius_miles": radius_miles,
        "network": network,
        "open_24_hours": open_24_hours,
        "preferred_only": preferred_only and network is not None,
        "kinds": kinds,
    }
    pharmacies = list_nearby_pharmacies(**criteria, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    if page == 1 and len(pharmacies) < PAGE_SIZE:
        total = len(pharmacies)
    else:
        total = count_nearby_pharmacies(**criteria)
    return PharmacySearchPage(
        location=location,
        radius_miles=radius_miles,
        pharmacies=pharmacies,
        total=total,
        page=page,
        page_size=PAGE_SIZE,
        network=network,
    )


@dataclass(frozen=True)
class _Criteria:
    latitude: float
    longitude: float
    radius_miles: float
    network: Network | None
    open_24_hours: bool
    preferred_only: bool
    kind_columns: tuple[str, ...]
    box: domain.BoundingBox

    @classmethod
    def of(
        cls,
        latitude: float,
        longitude: float,
        radius_miles: float,
        network: Network | None,
        open_24_hours: bool,
        preferred_only: bool,
        kinds: Collection[PharmacyKind | str],
    ) -> _Criteria:
        if preferred_only and network is None:
            raise ValueError("preferred_only needs a network")
        box = domain.compute_bounding_box(
            latitude=latitude, longitude=longitude, radius_miles=radius_miles
        )
        kind_columns = tuple(sorted({_KIND_FIELDS[PharmacyKind(kind)] for kind in kinds}))
        return cls(
            latitude,
            longitude,
            radius_miles,
            network,
            open_24_hours,
            preferred_only,
            kind_columns,
            box,
        )


# PostgreSQL: hand-written SQL. The query is small and hot; building it with the ORM cost more
# than running it (about 3 ms of expression compiling against well under 1 ms in the database).
# Only constants (table and column names from the models and _KIND_FIELDS) are formatted into
# the text; every value is a %s parameter (hence the S608 exemptions below).
_PHARMACY_TABLE = Pharmacy._meta.db_table
_MEMBERSHIP_TABLE = NetworkPharmacy._meta.db_table
# domain.compute_distance_miles over the row p; parameters: latitude and longitude in radians,
# then the cosine of the latitude.
_DISTANCE_SQL = (
    f"({2 * domain.EARTH_RADIUS_MILES!r} * asin(sqrt(least(1.0,"
    " power(sin((radians(p.latitude) - %s) / 2), 2)"
    " + %s * cos(radians(p.latitude)) * power(sin((radians(p.longitude) - %s) / 2), 2)))))"
)


def _distance_params(criteria: _Criteria) -> list[float]:
    phi = math.radians(criteria.latitude)
    return [phi, math.cos(phi), math.radians(criteria.longitude)]


def _sql_where(criteria: _Criteria) -> tuple[str, list[Any]]:
    box = criteria.box
    clauses = ["p.latitude BETWEEN %s AND %s"]
    params: list[Any] = [box.min_latitude, box.max_latitude]
    if not box.spans_all_longitudes:
        clauses.append("p.longitude BETWEEN %s AND %s")
        params += [box.min_longitude, box.max_longitude]
    clauses.append(f"{_DISTANCE_SQL} <= %s")
    params += [*_distance_params(criteria), criteria.radius_miles]
    if criteria.open_24_hours:
        clauses.append("p.is_24_hours")
    if criteria.kind_columns:  # column names from _KIND_FIELDS only, never from input
        clauses.append("(" + " OR ".join(f"p.{column}" for column in criteria.kind_columns) + ")")
    if criteria.preferred_only and criteria.network is not None:
        clauses.append(
            f"EXISTS (SELECT 1 FROM {_MEMBERSHIP_TABLE} m WHERE m.pharmacy_id = p.id"  # noqa: S608
            " AND m.network_id = %s AND m.is_preferred)"
        )
        params.append(criteria.network.pk)
    return " AND ".join(clauses), params


def _list_in_sql(criteria: _Criteria, *, limit: int, offset: int) -> list[NearbyPharmacy]:
    columns = ", ".join(f"p.{field}" for field in _FIELDS)
    params: list[Any] = _distance_params(criteria)
    # The network status is a sub-select, not a join: PostgreSQL evaluates it after the LIMIT,
    # for the page's rows only. NULL: not in the network; else the membership's is_preferred.
    status = "NULL::boolean"
    if criteria.network is not None:
        status = (
            f"(SELECT m.is_preferred FROM {_MEMBERSHIP_TABLE} m"  # noqa: S608
            " WHERE m.pharmacy_id = p.id AND m.network_id = %s)"
        )
        params.append(criteria.network.pk)
    where, where_params = _sql_where(criteria)
    sql = (
        f"SELECT {columns}, {_DISTANCE_SQL} AS distance_miles, {status} AS network_status"  # noqa: S608
        f" FROM {_PHARMACY_TABLE} p WHERE {where}"
        " ORDER BY distance_miles, p.name, p.id LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params, limit, offset])
        rows = cursor.fetchall()
    results = []
    for row in rows:
        values = dict(zip(_FIELDS, row, strict=False))
        status_value = row[len(_FIELDS) + 1]
        values["network_member"] = status_value is not None
        values["network_preferred"] = bool(status_value)
        results.append(_nearby(values, row[len(_FIELDS)], criteria.network))
    return results


# Other databases (the embedded SQLite): the box's rows, then distances in Python.
def _rows_in_box(criteria: _Criteria) -> QuerySet[Pharmacy]:
    box = criteria.box
    rows = Pharmacy.objects.filter(latitude__gte=box.min_latitude, latitude__lte=box.max_latitude)
    if not box.spans_all_longitudes:
        rows = rows.filter(longitude__gte=box.min_longitude, longitude__lte=box.max_longitude)
    if criteria.open_24_hours:
        rows = rows.filter(is_24_hours=True)
    if criteria.kind_columns:
        any_kind = Q()
        for column in criteria.kind_columns:
            any_kind |= Q(**{column: True})
        rows = rows.filter(any_kind)
    if criteria.network is None:
        return rows
    rows = rows.annotate(
        membership=FilteredRelation(
            "network_memberships",
            condition=Q(network_memberships__network_id=criteria.network.pk),
        ),
    ).annotate(
        network_member=ExpressionWrapper(
            Q(membership__id__isnull=False), output_field=BooleanField()
        ),
        network_preferred=Coalesce(F("membership__is_preferred"), Value(False)),
    )
    if criteria.preferred_only:
        rows = rows.filter(membership__is_preferred=True)
    return rows


def _value_fields(network: Network | None) -> tuple[str, ...]:
    if network is None:
        return _FIELDS
    return (*_FIELDS, "network_member", "network_preferred")


def _within_radius_in_python(
    criteria: _Criteria, rows: Iterable[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], float]]:
    within = []
    for row in rows:
        distance = domain.compute_distance_miles(
            criteria.latitude, criteria.longitude, row["latitude"], row["longitude"]
        )
        if domain.is_within_radius(distance, criteria.radius_miles):
            within.append((row, distance))
    return within


def _nearby(row: Mapping[str, Any], distance: float, network: Network | None) -> NearbyPharmacy:
    return NearbyPharmacy(
        **{field: row[field] for field in _FIELDS},
        distance_miles=distance,
        in_network=None if network is None else bool(row["network_member"]),
        is_preferred=None if network is None else bool(row["network_preferred"]),
    )
