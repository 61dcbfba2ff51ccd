"""Pharmacy use cases that write: importing the pharmacy directory and ZIP centroids.

Each import runs in one transaction (a bad row leaves the tables as they were) and only
writes rows whose values changed, so a second run on the same files writes nothing.
"""

from __future__ import annotations

import hashlib

from django.db import transaction

from rxportal.core.importing import CsvSource, ImportReport, Upserter, column_max_length
from rxportal.pharmacies.models import Network, NetworkPharmacy, Pharmacy, ZipCentroid

NATIONAL_NETWORK_CODE = "RXP-NATIONAL"
NATIONAL_NETWORK_NAME = "RxPortal National Network"

PHARMACY_COLUMNS = (
    "pharmacy_name",
    "phone",
    "license_number",
    "address",
    "city",
    "state",
    "zip5",
    "latitude",
    "longitude",
)
ZIP_CENTROID_COLUMNS = ("zcta5", "latitude", "longitude", "state", "place_names")

PHARMACY_FIELDS = (
    "name",
    "address_line",
    "city",
    "state",
    "zip_code",
    "phone",
    "latitude",
    "longitude",
    "is_retail",
)
ZIP_CENTROID_FIELDS = ("latitude", "longitude", "state", "place_names")


def import_pharmacies(*, pharmacies: CsvSource) -> ImportReport:
    """Upsert pharmacies by license number and put every one in the national network.

    Rows missing from the file are kept (claims and orders may point at them). Opening
    hours are not in the source, so `hours` stays blank rather than made up.
    """
    report = ImportReport()
    with transaction.atomic():
        network, _ = Network.objects.get_or_create(
            code=NATIONAL_NETWORK_CODE, defaults={"name": NATIONAL_NETWORK_NAME}
        )
        directory = Upserter(
            Pharmacy.objects.all(), key=("license_number",), fields=PHARMACY_FIELDS
        )
        for row in pharmacies.rows(columns=PHARMACY_COLUMNS):
            license_number = row.text("license_number", max_length=_max_length("license_number"))
            if directory.seen((license_number,)):
                raise row.error("license_number", f"{license_number!r} is listed twice")
            directory.put(
                {
                    "license_number": license_number,
                    "name": row.text("pharmacy_name", max_length=_max_length("name")),
                    # One licensed pharmacy has no street address in the roster: keep it blank.
                    "address_line": row.text(
                        "address", required=False, max_length=_max_length("address_line")
                    ),
                    "city": row.text("city", max_length=_max_length("city")),
                    "state": row.matching("state", r"[A-Z]{2}", description="a state code"),
                    "zip_code": row.matching("zip5", r"\d{5}", description="a 5-digit ZIP"),
                    "phone": row.text("phone", required=False, max_length=_max_length("phone")),
                    "latitude": row.optional_number("latitude", minimum=-90, maximum=90),
                    "longitude": row.optional_number("longitude", minimum=-180, maximum=180),
                    "is_retail": True,
                }
            )
        directory.flush()

        imported = {license_number for (license_number,) in directory.seen_keys}
        members = Upserter(
            NetworkPharmacy.objects.filter(network=network),
            key=("network_id", "pharmacy_id"),
            fields=("is_preferred",),
        )
        for license_number, pharmacy_id in Pharmacy.objects.values_list("license_number", "pk"):
            if license_number in imported:
                members.put(
                    {
                        "network_id": network.pk,
                        "pharmacy_id": pharmacy_id,
                        "is_preferred": is_synthetic_preferred(license_number),
                    }
                )
        members.flush()
    report.tables["pharmacies"] = directory.counts
    report.tables[f"{NATIONAL_NETWORK_CODE} memberships"] = members.counts
    return report


def is_synthetic_preferred(license_number: str) -> bool:
    """SYNTHETIC DEMO DATA: the source has no network tiers, so about 40% of pharmacies are
    marked preferred by a stable hash of the license number (same answer on every run and
    machine, unlike Python's salted hash()).
    """
    digest = hashlib.sha256(license_number.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < 40


def import_zip_centroids(*, centroids: CsvSource) -> ImportReport:
    """Make the ZIP centroid table match the file: upsert every row, delete ZIPs not listed.

    Nothing references centroids by key, so deleting the ones the file dropped is safe.
    """
    report = ImportReport()
    with transaction.atomic():
        zips = Upserter(
            ZipCentroid.objects.all(),
            key=("zip_code",),
            fields=ZIP_CENTROID_FIELDS,
            batch_size=2000,
        )
        for row in centroids.rows(columns=ZIP_CENTROID_COLUMNS):
            zip_code = row.matching("zcta5", r"\d{5}", description="a 5-digit ZIP")
            if zips.seen((zip_code,)):
                raise row.error("zcta5", f"{zip_code!r} is listed twice")
            zips.put(
                {
                    "zip_code": zip_code,
                    "latitude": row.number("latitude", minimum=-90, maximum=90),
                    "longitude": row.number("longitude", minimum=-180, maximum=180),
                    "state": row.matching("state", r"[A-Z]{2}", description="a state code"),
                    "place_names": row.text(
                        "place_names",
                        required=False,
                        max_length=column_max_length(ZipCentroid, "place_names"),
                    ),
                }
            )
        zips.flush()
        zips.delete_unseen()
    report.tables["ZIP centroids"] = zips.counts
    return report


def _max_length(field: str) -> int:
    return column_max_length(Pharmacy, field)
