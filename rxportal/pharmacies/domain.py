"""Pure distance maths and search-input parsing for the pharmacy finder (no ORM, no settings).

Distances are great-circle (haversine) miles on a sphere of the Earth's mean radius: a straight
line, not a driving distance. The bounding box is the cheap prefilter the selectors run on the
indexed (latitude, longitude) columns before computing exact distances.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

EARTH_RADIUS_MILES = 3958.7613  # IUGG mean radius, 6371.0088 km
RADIUS_CHOICES_MILES = (1, 5, 10, 25, 50)
DEFAULT_RADIUS_MILES = 10
# Added to every side of a bounding box so float rounding never drops a point on its edge.
_BOX_MARGIN_DEGREES = 1e-9


class PharmacyKind(StrEnum):
    RETAIL = "retail"
    MAIL = "mail"
    SPECIALTY = "specialty"


def compute_distance_miles(
    latitude_1: float, longitude_1: float, latitude_2: float, longitude_2: float
) -> float:
    """Great-circle distance in miles between two points given in degrees (haversine)."""
    phi_1 = math.radians(latitude_1)
    phi_2 = math.radians(latitude_2)
    half_d_phi = (phi_2 - phi_1) / 2
    half_d_lambda = math.radians(longitude_2 - longitude_1) / 2
    a = math.sin(half_d_phi) ** 2 + math.cos(phi_1) * math.cos(phi_2) * math.sin(half_d_lambda) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, a)))


@dataclass(frozen=True)
class BoundingBox:
    """Latitude and longitude ranges (degrees, inclusive) that hold every point within a radius.

    ``spans_all_longitudes`` is true near a pole or across the 180th meridian: then only the
    latitude range narrows the search (rare: no US ZIP centroid comes close).
    """

    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float

    @property
    def spans_all_longitudes(self) -> bool:
        return self.min_longitude <= -180 and self.max_longitude >= 180

    def contains(self, latitude: float, longitude: float) -> bool:
        return (
            self.min_latitude <= latitude <= self.max_latitude
            and self.min_longitude <= longitude <= self.max_longitude
        )


def compute_bounding_box(*, latitude: float, longitude: float, radius_miles: float) -> BoundingBox:
    """The smallest latitude/longitude box holding the circle of ``radius_miles`` around a point.

    The latitude half-span is the radius as an angle. The longitude half-span widens as the
    meridians converge: asin(sin(d) / cos(latitude)), slightly more than d / cos(latitude)
    because the circle's widest point lies a little poleward of its centre.
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("latitude must be within ±90 and longitude within ±180 degrees")
    if not radius_miles > 0:
        raise ValueError("radius_miles must be positive")
    angle = radius_miles / EARTH_RADIUS_MILES  # radians
    d_latitude = math.degrees(angle) + _BOX_MARGIN_DEGREES
    min_latitude = latitude - d_latitude
    max_latitude = latitude + d_latitude
    if min_latitude <= -90 or max_latitude >= 90 or angle >= math.pi / 2:
        return BoundingBox(max(min_latitude, -90.0), min(max_latitude, 90.0), -180.0, 180.0)
    ratio = math.sin(angle) / math.cos(math.radians(latitude))
    if ratio >= 1:
        return BoundingBox(min_latitude, max_latitude, -180.0, 180.0)
    d_longitude = math.degrees(math.asin(ratio)) * (1 + 1e-12) + _BOX_MARGIN_DEGREES
    min_longitude = longitude - d_longitude
    max_longitude = longitude + d_longitude
    if min_longitude < -180 or max_longitude > 180:  # crosses the 180th meridian
        return BoundingBox(min_latitude, max_latitude, -180.0, 180.0)
    return BoundingBox(min_latitude, max_latitude, min_longitude, max_longitude)


def is_within_radius(distance_miles: float, radius_miles: float) -> bool:
    return distance_miles <= radius_miles


def compute_page_count(total: int, page_size: int) -> int:
    return max(1, math.ceil(total / page_size))


# --- What the visitor typed: a ZIP code, or a city and state ---------------------------------

LOCATION_INPUT_MAX_LENGTH = 200
_ZIP_RE = re.compile(r"(?<!\d)(\d{5})(?:[-\s]?\d{4})?(?!\d)")
_ONLY_DIGITS_RE = re.compile(r"[\d\s-]+")
_SPACES_RE = re.compile(r"\s+")
_MAX_CITY_WORDS = 6

# USPS codes for the states, DC and the territories with ZIP codes, and the names people type.
STATE_NAMES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "PR": "Puerto Rico",
    "GU": "Guam",
    "VI": "Virgin Islands",
    "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}
_STATE_BY_WORDS = {
    **{code.casefold(): code for code in STATE_NAMES},
    **{name.casefold(): code for code, name in STATE_NAMES.items()},
}


@dataclass(frozen=True)
class LocationQuery:
    """A parsed search location: a ZIP code, or a place name with an optional state.

    ``city_candidates`` lists the place names to try, longest first: "12 Main St Hartford"
    yields "12 Main St Hartford", "Main St Hartford", "St Hartford" and "Hartford", so a street
    typed before the city does not stop the match.
    """

    zip_code: str | None = None
    city_candidates: tuple[str, ...] = ()
    state: str | None = None
    looks_like_bad_zip: bool = False


def normalize_place_name(text: str) -> str:
    """Case-, accent- and spacing-insensitive form of a place name ("San  José" → "san jose")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = re.sub(r"[^\w\s'-]", " ", stripped.casefold().replace(".", ""))
    return _SPACES_RE.sub(" ", cleaned).strip()


def split_place_names(place_names: str) -> list[str]:
    """ZipCentroid.place_names is a ';'-separated list ("Hartford;West Hartford")."""
    return [name.strip() for name in place_names.split(";") if name.strip()]


def parse_location_query(text: str) -> LocationQuery:
    """Read a ZIP code (anywhere in the text) or "City, ST" / "City State" / "street, City, ST".

    No street-level geocoding is possible (there is no geocoder): only the ZIP or the city of
    an address is used.
    """
    text = _SPACES_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    zip_matches = list(_ZIP_RE.finditer(text))
    # The last 5-digit number is the ZIP, unless it opens a longer text: "12345 Ventura Blvd,
    # Los Angeles, CA" starts with a house number.
    if zip_matches and (zip_matches[-1].start() > 0 or zip_matches[-1].end() == len(text)):
        return LocationQuery(zip_code=zip_matches[-1].group(1))
    if not text or _ONLY_DIGITS_RE.fullmatch(text):
        return LocationQuery(looks_like_bad_zip=bool(text))

    parts = [part.strip() for part in text.split(",") if part.strip()]
    state: str | None = None
    if len(parts) >= 2 and (code := _state_code(parts[-1])):
        state, place = code, parts[-2]
    elif len(parts) >= 2:
        place = parts[-1]
    else:
        place = parts[0] if parts else ""
        words = place.split(" ")
        # "Hartford CT", "Kansas City Missouri", "Concord New Hampshire": a trailing state.
        for size in (3, 2, 1):
            if len(words) > size and (code := _state_code(" ".join(words[-size:]))):
                state, place = code, " ".join(words[:-size])
                break
    words = normalize_place_name(place).split(" ")
    words = [word for word in words if word][-_MAX_CITY_WORDS:]
    candidates = tuple(" ".join(words[start:]) for start in range(len(words)))
    return LocationQuery(city_candidates=candidates, state=state)


def _state_code(text: str) -> str | None:
    return _STATE_BY_WORDS.get(normalize_place_name(text))


def compute_tel_uri(phone: str) -> str | None:
    """``tel:+12032632282`` for a US number ("(203) 263-2282", "1-203-263-2282"); else None."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    return f"tel:+1{digits}"


def compute_directions_url(*, latitude: float, longitude: float) -> str:
    """OpenStreetMap directions to a point; the visitor's own position is never sent."""
    return f"https://www.openstreetmap.org/directions?to={latitude:.6f}%2C{longitude:.6f}"
