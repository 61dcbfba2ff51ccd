"""Real ZIP centroids from the reference file, and pharmacies placed at known points."""

from __future__ import annotations

import csv
import functools
import math
from pathlib import Path

from rxportal.pharmacies.domain import EARTH_RADIUS_MILES

CENTROIDS_CSV = Path(__file__).resolve().parents[2] / "data" / "reference" / "us_zcta_centroids.csv"

# Hartford and its neighbours, New Haven, and two Springfields in different states.
TEST_ZIPS = ("06103", "06105", "06106", "06107", "06510", "06511", "01103", "62701")


@functools.cache
def real_centroids() -> dict[str, dict[str, str]]:
    with CENTROIDS_CSV.open(newline="", encoding="utf-8-sig") as handle:
        return {row["zcta5"]: row for row in csv.DictReader(handle)}


def real_point(zip_code: str) -> tuple[float, float]:
    row = real_centroids()[zip_code]
    return float(row["latitude"]), float(row["longitude"])


def destination(
    latitude: float, longitude: float, *, bearing_degrees: float, miles: float
) -> tuple[float, float]:
    """The point ``miles`` away on a great circle at ``bearing_degrees`` (spherical formula);
    longitude normalized to [-180, 180)."""
    angle = miles / EARTH_RADIUS_MILES
    phi = math.radians(latitude)
    theta = math.radians(bearing_degrees)
    phi_2 = math.asin(
        math.sin(phi) * math.cos(angle) + math.cos(phi) * math.sin(angle) * math.cos(theta)
    )
    lambda_2 = math.radians(longitude) + math.atan2(
        math.sin(theta) * math.sin(angle) * math.cos(phi),
        math.cos(angle) - math.sin(phi) * math.sin(phi_2),
    )
    return math.degrees(phi_2), (math.degrees(lambda_2) + 180) % 360 - 180
