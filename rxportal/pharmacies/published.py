"""The pharmacy directory as published to anyone (the FHIR Plan-Net directory): pharmacies,
their networks and where they are. Public facts only, no viewer: no member's network status.

Lists are keyset pages in primary-key order (``after`` is the last row's key), so a page is
one indexed range read however deep the client pages; filters use indexed columns only
(``zip_code``, the (network, pharmacy) membership key, the upper-cased name prefix index) and
the nearby search is the finder's bounding-box query.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from rxportal.pharmacies import selectors
from rxportal.pharmacies.models import Network, NetworkPharmacy, Pharmacy


@dataclass(frozen=True)
class PublishedNetwork:
    public_id: uuid.UUID
    code: str
    name: str


@dataclass(frozen=True)
class PublishedPharmacy:
    public_id: uuid.UUID
    npi: str
    name: str
    address_line: str
    city: str
    state: str
    zip_code: str
    phone: str
    hours: str  # free text ("Mon-Fri 9am-6pm"); blank when the source had none
    is_24_hours: bool
    latitude: float | None
    longitude: float | None
    is_retail: bool
    is_mail: bool
    is_specialty: bool
    networks: tuple[PublishedNetwork, ...]
    # The keyset position of the row (never shown: a page cursor is signed).
    position: int


@dataclass(frozen=True)
class PharmacyPage:
    pharmacies: list[PublishedPharmacy]
    # The key to pass as ``after`` for the next page; None on the last page.
    next_after: int | None


_FIELDS = (
    "pk",
    "public_id",
    "npi",
    "name",
    "address_line",
    "city",
    "state",
    "zip_code",
    "phone",
    "hours",
    "is_24_hours",
    "latitude",
    "longitude",
    "is_retail",
    "is_mail",
    "is_specialty",
)


def _network(row: Network) -> PublishedNetwork:
    return PublishedNetwork(public_id=row.public_id, code=row.code, name=row.name)


def list_networks(
    *, public_ids: Collection[uuid.UUID] | None = None, name_prefix: str = ""
) -> list[PublishedNetwork]:
    """Every pharmacy network (a handful of rows), by code."""
    rows = Network.objects.order_by("code")
    if public_ids is not None:
        rows = rows.filter(public_id__in=list(public_ids))
    if name_prefix:
        rows = rows.filter(name__istartswith=name_prefix)
    return [_network(row) for row in rows]


def find_network(public_id: uuid.UUID) -> PublishedNetwork | None:
    row = Network.objects.filter(public_id=public_id).first()
    return None if row is None else _network(row)


def list_pharmacies(
    *,
    public_ids: Collection[uuid.UUID] | None = None,
    zip_code: str = "",
    name_prefix: str = "",
    network: uuid.UUID | None = None,
    after: int | None = None,
    limit: int,
) -> PharmacyPage:
    """A page of pharmacies matching every given filter, in key order."""
    rows: QuerySet[Pharmacy] = Pharmacy.objects.order_by("pk")
    if public_ids is not None:
        rows = rows.filter(public_id__in=list(public_ids))
    if zip_code:
        rows = rows.filter(zip_code=zip_code)
    if name_prefix:
        # istartswith compiles to UPPER(name) LIKE UPPER('x%'): the name prefix index.
        rows = rows.filter(name__istartswith=name_prefix)
    if after is not None:
        rows = rows.filter(pk__gt=after)
    if network is not None:
        # The network's key first (one tiny read): joined by public id, PostgreSQL misjudges
        # how many rows the join keeps and sorts the whole rest of the network.
        network_key = Network.objects.filter(public_id=network).values_list("pk", flat=True)
        key = network_key.first()
        if key is None:
            return PharmacyPage([], None)
        membership: dict[str, object] = {"network_memberships__network_id": key}
        if after is not None:
            # The bound on the membership's side too: both index scans start at the cursor
            # (PostgreSQL does not carry it across the join by itself).
            membership["network_memberships__pharmacy_id__gt"] = after
        rows = rows.filter(**membership)
    values = list(rows.values(*_FIELDS)[: limit + 1])
    more = len(values) > limit
    values = values[:limit]
    networks = _networks_of([row["pk"] for row in values])
    pharmacies = [_pharmacy(row, networks[row["pk"]]) for row in values]
    return PharmacyPage(pharmacies, values[-1]["pk"] if more and values else None)


def find_pharmacy(public_id: uuid.UUID) -> PublishedPharmacy | None:
    page = list_pharmacies(public_ids=[public_id], limit=1)
    return page.pharmacies[0] if page.pharmacies else None


def list_pharmacies_near(
    *, latitude: float, longitude: float, radius_miles: float, offset: int, limit: int
) -> list[PublishedPharmacy]:
    """Pharmacies within the radius, nearest first: the finder's bounding-box query (no
    viewer, so no network status), then their networks in one more query."""
    nearby = selectors.list_nearby_pharmacies(
        latitude=latitude,
        longitude=longitude,
        radius_miles=radius_miles,
        limit=limit,
        offset=offset,
    )
    if not nearby:
        return []
    keyed = {
        public_id: (key, npi)
        for public_id, key, npi in Pharmacy.objects.filter(
            public_id__in=[row.public_id for row in nearby]
        ).values_list("public_id", "pk", "npi")
    }
    networks = _networks_of(key for key, _ in keyed.values())
    return [
        PublishedPharmacy(
            public_id=row.public_id,
            npi=keyed[row.public_id][1],
            name=row.name,
            address_line=row.address_line,
            city=row.city,
            state=row.state,
            zip_code=row.zip_code,
            phone=row.phone,
            hours=row.hours,
            is_24_hours=row.is_24_hours,
            latitude=row.latitude,
            longitude=row.longitude,
            is_retail=row.is_retail,
            is_mail=row.is_mail,
            is_specialty=row.is_specialty,
            networks=networks[keyed[row.public_id][0]],
            position=keyed[row.public_id][0],
        )
        for row in nearby
    ]


def _networks_of(pharmacy_keys: Iterable[int]) -> defaultdict[int, tuple[PublishedNetwork, ...]]:
    found: defaultdict[int, tuple[PublishedNetwork, ...]] = defaultdict(tuple)
    keys = list(pharmacy_keys)
    if not keys:
        return found
    memberships = (
        NetworkPharmacy.objects.filter(pharmacy_id__in=keys)
        .select_related("network")
        .order_by("network__code")
    )
    for membership in memberships:
        found[membership.pharmacy_id] += (_network(membership.network),)
    return found


def _pharmacy(row: dict[str, object], networks: tuple[PublishedNetwork, ...]) -> PublishedPharmacy:
    fields = {name: row[name] for name in _FIELDS if name != "pk"}
    return PublishedPharmacy(**fields, networks=networks, position=row["pk"])  # type: ignore[arg-type]
