"""Fixtures for the pharmacy finder: real ZIP centroids and pharmacies at known distances."""

from __future__ import annotations

import pytest

from rxportal.pharmacies.models import ZipCentroid
from tests.pharmacies.support import TEST_ZIPS, real_centroids


@pytest.fixture
def centroids(db: None) -> list[ZipCentroid]:
    rows = real_centroids()
    return ZipCentroid.objects.bulk_create(
        ZipCentroid(
            zip_code=zip_code,
            latitude=float(rows[zip_code]["latitude"]),
            longitude=float(rows[zip_code]["longitude"]),
            state=rows[zip_code]["state"],
            place_names=rows[zip_code]["place_names"],
        )
        for zip_code in TEST_ZIPS
    )
