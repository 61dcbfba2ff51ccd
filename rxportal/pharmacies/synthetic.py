"""SYNTHETIC DEMO DATA: made-up pharmacies spread over the real ZIP centroids, for benchmarks.

Pure (no ORM): the same centroids, count and seed always give the same pharmacies, field for
field, on any machine (``random.Random`` seeded with a string is stable across platforms).
Pharmacy i of a run is the same whatever the count, so a larger run extends a smaller one.

Marked so they can never pass for real ones: license numbers start with ``SYN-``, there is no
NPI, and every phone number is in the 555-0100..555-0199 range reserved for fiction. Names use
no real chain's name. The real Connecticut roster remains the demo directory.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rxportal.pharmacies.domain import split_place_names

SYNTHETIC_LICENSE_PREFIX = "SYN-"
MAX_COUNT = 9_999_999  # license numbers carry a 7-digit index
MAX_SEED = 10**10 - 1

# Shares of all generated pharmacies (a plausible mix, not a statistic).
SHARE_MAIL = 0.01
SHARE_SPECIALTY = 0.03
SHARE_24_HOURS = 0.05
SHARE_HOURS_UNKNOWN = 0.15
JITTER_MILES = 1.5  # how far a pharmacy may sit from its ZIP centroid
_MILES_PER_DEGREE_LATITUDE = 69.05

_STREETS = (
    "Main",
    "Oak",
    "Maple",
    "Park",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Church",
    "Center",
    "Union",
    "Broad",
    "Prospect",
    "Franklin",
    "Highland",
    "River",
    "Spring",
    "Cedar",
    "Pine",
    "Mill",
)
_STREET_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Dr", "Ln", "Way", "Pike")
_SURNAMES = (
    "Alvarez",
    "Bennett",
    "Chen",
    "Delgado",
    "Ellis",
    "Fischer",
    "Garcia",
    "Hughes",
    "Iyer",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Morgan",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Turner",
)
_RETAIL_NAMES = (
    "{place} Pharmacy",
    "{place} Drug",
    "{street} Street Pharmacy",
    "{surname} Family Pharmacy",
    "{place} Apothecary",
    "Community Pharmacy of {place}",
    "{surname} Drug Store",
    "{place} Health Mart",
)
_HOURS = (
    "Mon–Fri 8 AM–9 PM; Sat 9 AM–6 PM; Sun 10 AM–6 PM",
    "Mon–Fri 9 AM–7 PM; Sat 9 AM–5 PM; Sun closed",
    "Mon–Sat 8 AM–10 PM; Sun 9 AM–6 PM",
    "Mon–Fri 9 AM–6 PM; Sat 9 AM–1 PM; Sun closed",
    "Daily 7 AM–11 PM",
)
_MAIL_HOURS = "Phone Mon–Fri 8 AM–8 PM; orders ship Mon–Sat"
_SPECIALTY_HOURS = "Mon–Fri 8:30 AM–5:30 PM"
_TWENTY_FOUR_HOURS = "Open 24 hours"


@dataclass(frozen=True, slots=True)
class CentroidPoint:
    zip_code: str
    latitude: float
    longitude: float
    state: str
    place_names: str


@dataclass(frozen=True, slots=True)
class SyntheticPharmacy:
    license_number: str
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


def synthetic_license_prefix(seed: int) -> str:
    return f"{SYNTHETIC_LICENSE_PREFIX}{seed}-"


def synthetic_license_number(seed: int, index: int) -> str:
    return f"{synthetic_license_prefix(seed)}{index:07d}"


def iter_synthetic_pharmacies(
    centroids: Sequence[CentroidPoint], *, count: int, seed: int
) -> Iterator[SyntheticPharmacy]:
    """``count`` pharmacies, each near a ZIP centroid drawn uniformly (ZIP codes are denser
    where people live, so pharmacies are too). ``centroids`` must come sorted by ZIP code."""
    if not centroids:
        raise ValueError("no ZIP centroids to place pharmacies on")
    if not 0 <= seed <= MAX_SEED or not 0 <= count <= MAX_COUNT:
        raise ValueError("seed or count out of range")
    rng = random.Random(f"rxportal-synthetic-pharmacies:{seed}")
    city_of_zip3 = _cities_by_zip3(centroids)
    for index in range(count):
        centroid = centroids[rng.randrange(len(centroids))]
        yield _pharmacy(rng, centroid, city_of_zip3, synthetic_license_number(seed, index))


def _pharmacy(
    rng: random.Random, centroid: CentroidPoint, city_of_zip3: dict[str, str], license_number: str
) -> SyntheticPharmacy:
    public_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    latitude, longitude = _jitter(rng, centroid.latitude, centroid.longitude)
    names = split_place_names(centroid.place_names)
    city = names[0] if names else city_of_zip3.get(centroid.zip_code[:3], centroid.state)
    street = rng.choice(_STREETS)
    surname = rng.choice(_SURNAMES)
    address_line = f"{rng.randint(1, 2999)} {street} {rng.choice(_STREET_SUFFIXES)}"
    phone = f"({rng.randint(201, 989)}) 555-01{rng.randrange(100):02d}"

    kind_roll = rng.random()
    is_mail = kind_roll < SHARE_MAIL
    is_specialty = SHARE_MAIL <= kind_roll < SHARE_MAIL + SHARE_SPECIALTY
    is_retail = not (is_mail or is_specialty)
    # The 24-hour share is of all pharmacies, and only retail ones open round the clock.
    is_24_hours = is_retail and rng.random() < SHARE_24_HOURS / (1 - SHARE_MAIL - SHARE_SPECIALTY)
    hours_roll = rng.random()
    if is_mail:
        name, hours = f"{surname} Mail Pharmacy Services", _MAIL_HOURS
    elif is_specialty:
        name, hours = f"{city} Specialty Pharmacy", _SPECIALTY_HOURS
    else:
        template = rng.choice(_RETAIL_NAMES)
        name = template.format(place=city, street=street, surname=surname)
        if is_24_hours:
            hours = _TWENTY_FOUR_HOURS
        elif hours_roll < SHARE_HOURS_UNKNOWN:
            hours = ""  # unknown: the finder says nothing about hours
        else:
            hours = rng.choice(_HOURS)
    return SyntheticPharmacy(
        license_number=license_number,
        public_id=public_id,
        name=name[:200],
        address_line=address_line,
        city=city[:100],
        state=centroid.state,
        zip_code=centroid.zip_code,
        phone=phone,
        hours=hours,
        is_24_hours=is_24_hours,
        is_retail=is_retail,
        is_mail=is_mail,
        is_specialty=is_specialty,
        latitude=latitude,
        longitude=longitude,
    )


def _jitter(rng: random.Random, latitude: float, longitude: float) -> tuple[float, float]:
    """A point uniformly inside a disc of JITTER_MILES around the centroid (6 decimals)."""
    distance = JITTER_MILES * math.sqrt(rng.random())
    bearing = rng.random() * 2 * math.pi
    d_latitude = distance * math.cos(bearing) / _MILES_PER_DEGREE_LATITUDE
    cos_latitude = max(math.cos(math.radians(latitude)), 0.01)
    d_longitude = distance * math.sin(bearing) / (_MILES_PER_DEGREE_LATITUDE * cos_latitude)
    new_latitude = min(89.999999, max(-89.999999, latitude + d_latitude))
    new_longitude = (longitude + d_longitude + 180) % 360 - 180
    return round(new_latitude, 6), round(new_longitude, 6)


def _cities_by_zip3(centroids: Sequence[CentroidPoint]) -> dict[str, str]:
    """A city for ZIP codes without a place name: the first named place in the same 3-digit
    ZIP area (the sectional center), so a pharmacy's city is at least nearby."""
    cities: dict[str, str] = {}
    for centroid in centroids:
        names = split_place_names(centroid.place_names)
        if names:
            cities.setdefault(centroid.zip_code[:3], names[0])
    return cities
