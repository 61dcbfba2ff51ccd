"""Pharmacy-directory errors with stable codes."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class SyntheticPharmaciesRefused(DomainError):
    """Made-up pharmacies never go into a production directory."""

    code = "pharmacies.synthetic_refused_in_production"


class SyntheticPharmaciesInvalid(DomainError):
    code = "pharmacies.synthetic_invalid_arguments"


class ZipCentroidsMissing(DomainError):
    code = "pharmacies.zip_centroids_missing"
