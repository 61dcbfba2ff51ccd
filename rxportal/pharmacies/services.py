"""Pharmacy use cases that write: importing the pharmacy directory and ZIP centroids, and
generating synthetic pharmacies for benchmarks.

Each import runs in one transaction (a bad row leaves the tables as they were) and only
writes rows whose values changed, so a second run on the same files writes nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.core.importing import CsvSource, ImportReport, Upserter, column_max_length
from rxportal.core.record_versions import bump_all_records
from rxportal.pharmacies import synthetic
from rxportal.pharmacies.errors import (
    SyntheticPharmaciesInvalid,
    SyntheticPharmaciesRefused,
    ZipCentroidsMissing,
)
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
        # Bulk upserts send no signals: every cached page that names a drug or pharmacy is stale.
        bump_all_records()
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


# --- SYNTHETIC DEMO DATA: a national-size directory for benchmarks -----------------------------

SYNTHETIC_BATCH_SIZE = 2000


@dataclass(frozen=True)
class SyntheticPharmacyReport:
    requested: int
    added: int
    already_present: int
    seconds: float


def generate_synthetic_pharmacies(
    *,
    count: int,
    seed: int,
    batch_size: int = SYNTHETIC_BATCH_SIZE,
    actor: AbstractBaseUser | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> SyntheticPharmacyReport:
    """Add ``count`` made-up pharmacies (see rxportal.pharmacies.synthetic) to the directory and
    to the RXP-NATIONAL network, about 40% of them preferred.

    Deterministic and idempotent: license numbers are ``SYN-<seed>-<index>``, and those already
    present are skipped, so a second run with the same arguments adds nothing (and a larger
    count adds only the missing ones). Each batch is one transaction holding the pharmacies and
    their network memberships. Refused in production. ``on_progress`` gets the number of
    pharmacies handled since the last call.
    """
    if settings.RXPORTAL_ENV == "production":
        raise SyntheticPharmaciesRefused("Synthetic pharmacies are never added in production.")
    if not 1 <= count <= synthetic.MAX_COUNT:
        raise SyntheticPharmaciesInvalid(f"count must be between 1 and {synthetic.MAX_COUNT:,}")
    if not 0 <= seed <= synthetic.MAX_SEED:
        raise SyntheticPharmaciesInvalid(f"seed must be between 0 and {synthetic.MAX_SEED}")
    if batch_size < 1:
        raise SyntheticPharmaciesInvalid("batch size must be at least 1")
    started = time.monotonic()
    centroids = [
        synthetic.CentroidPoint(*row)
        for row in ZipCentroid.objects.order_by("zip_code").values_list(
            "zip_code", "latitude", "longitude", "state", "place_names"
        )
    ]
    if not centroids:
        raise ZipCentroidsMissing(
            "There are no ZIP centroids: run `python manage.py import_reference_data` first."
        )
    network, _ = Network.objects.get_or_create(
        code=NATIONAL_NETWORK_CODE, defaults={"name": NATIONAL_NETWORK_NAME}
    )
    present = set(
        Pharmacy.objects.filter(
            license_number__startswith=synthetic.synthetic_license_prefix(seed)
        ).values_list("license_number", flat=True)
    )
    added = 0
    batch: list[synthetic.SyntheticPharmacy] = []
    handled = 0
    for pharmacy in synthetic.iter_synthetic_pharmacies(centroids, count=count, seed=seed):
        handled += 1
        if pharmacy.license_number not in present:
            batch.append(pharmacy)
        if len(batch) >= batch_size:
            added += _insert_synthetic_batch(batch, network)
            batch = []
        if on_progress and handled % batch_size == 0:
            on_progress(batch_size)
    if batch:
        added += _insert_synthetic_batch(batch, network)
    if on_progress and handled % batch_size:
        on_progress(handled % batch_size)
    if added:
        _analyze_directory()
    record_event(
        action="pharmacies.synthetic_generated",
        outcome=Outcome.SUCCESS,
        actor=actor,
        details={"seed": seed, "requested": count, "added": added},
    )
    return SyntheticPharmacyReport(
        requested=count,
        added=added,
        already_present=count - added,
        seconds=time.monotonic() - started,
    )


def _insert_synthetic_batch(batch: list[synthetic.SyntheticPharmacy], network: Network) -> int:
    with transaction.atomic():
        created = Pharmacy.objects.bulk_create(
            [
                Pharmacy(
                    license_number=item.license_number,
                    public_id=item.public_id,
                    name=item.name,
                    address_line=item.address_line,
                    city=item.city,
                    state=item.state,
                    zip_code=item.zip_code,
                    phone=item.phone,
                    hours=item.hours,
                    is_24_hours=item.is_24_hours,
                    latitude=item.latitude,
                    longitude=item.longitude,
                    is_retail=item.is_retail,
                    is_mail=item.is_mail,
                    is_specialty=item.is_specialty,
                )
                for item in batch
            ]
        )
        if any(pharmacy.pk is None for pharmacy in created):  # no RETURNING on this database
            ids = dict(
                Pharmacy.objects.filter(
                    license_number__in=[item.license_number for item in batch]
                ).values_list("license_number", "pk")
            )
        else:
            ids = {pharmacy.license_number: pharmacy.pk for pharmacy in created}
        NetworkPharmacy.objects.bulk_create(
            [
                NetworkPharmacy(
                    network=network,
                    pharmacy_id=ids[item.license_number],
                    is_preferred=is_synthetic_preferred(item.license_number),
                )
                for item in batch
            ]
        )
    return len(batch)


def _analyze_directory() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL), so the finder's bounding-box
    query keeps its index plan."""
    if connection.vendor != "postgresql":
        return
    tables = (Pharmacy._meta.db_table, NetworkPharmacy._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")
