"""generate_pharmacies: synthetic pharmacies over the real ZIP centroids, for benchmarks."""

from __future__ import annotations

import dataclasses
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rxportal.audit.models import AuditEvent
from rxportal.pharmacies.domain import compute_distance_miles
from rxportal.pharmacies.models import Network, NetworkPharmacy, Pharmacy
from rxportal.pharmacies.services import NATIONAL_NETWORK_CODE, generate_synthetic_pharmacies
from rxportal.pharmacies.synthetic import (
    JITTER_MILES,
    CentroidPoint,
    iter_synthetic_pharmacies,
)
from tests.factories import PharmacyFactory
from tests.pharmacies.support import TEST_ZIPS, real_centroids

POINTS = [
    CentroidPoint(
        zip_code,
        float(real_centroids()[zip_code]["latitude"]),
        float(real_centroids()[zip_code]["longitude"]),
        real_centroids()[zip_code]["state"],
        real_centroids()[zip_code]["place_names"],
    )
    for zip_code in sorted(TEST_ZIPS)
]


def generate(count: int, seed: int = 1) -> list[dict[str, object]]:
    return [
        dataclasses.asdict(p) for p in iter_synthetic_pharmacies(POINTS, count=count, seed=seed)
    ]


def test_the_same_seed_gives_the_same_pharmacies_and_another_seed_others() -> None:
    assert generate(200) == generate(200)
    assert generate(200, seed=2) != generate(200)


def test_a_larger_count_extends_a_smaller_one() -> None:
    assert generate(300)[:120] == generate(120)


def test_synthetic_pharmacies_are_marked_and_near_a_real_centroid() -> None:
    by_zip = {point.zip_code: point for point in POINTS}

    for pharmacy in iter_synthetic_pharmacies(POINTS, count=300, seed=5):
        assert pharmacy.license_number.startswith("SYN-5-")
        assert "555-01" in pharmacy.phone
        centroid = by_zip[pharmacy.zip_code]
        assert pharmacy.state == centroid.state
        distance = compute_distance_miles(
            centroid.latitude, centroid.longitude, pharmacy.latitude, pharmacy.longitude
        )
        assert distance <= JITTER_MILES + 0.01
        assert pharmacy.city


def test_the_mix_of_pharmacies_is_realistic() -> None:
    pharmacies = list(iter_synthetic_pharmacies(POINTS, count=20_000, seed=3))

    def share(flag: str) -> float:
        return sum(getattr(p, flag) for p in pharmacies) / len(pharmacies)

    assert share("is_24_hours") == pytest.approx(0.05, abs=0.006)
    assert share("is_mail") == pytest.approx(0.01, abs=0.003)
    assert share("is_specialty") == pytest.approx(0.03, abs=0.005)
    assert all(p.hours == "Open 24 hours" for p in pharmacies if p.is_24_hours)
    assert 0.1 < sum(p.hours == "" for p in pharmacies) / len(pharmacies) < 0.2


@pytest.mark.django_db
def test_command_adds_pharmacies_to_the_national_network_once(centroids: object) -> None:
    real = PharmacyFactory(license_number="PCY.0001712")
    out = StringIO()

    call_command("generate_pharmacies", "--count", "250", "--seed", "9", "--batch-size", "60",
                 "--no-progress", stdout=out)  # fmt: skip
    first = sorted(
        Pharmacy.objects.filter(license_number__startswith="SYN-").values_list(
            "license_number", "public_id", "name", "latitude", "longitude"
        )
    )
    call_command("generate_pharmacies", "--count", "250", "--seed", "9", "--no-progress",
                 stdout=out)  # fmt: skip
    again = sorted(
        Pharmacy.objects.filter(license_number__startswith="SYN-").values_list(
            "license_number", "public_id", "name", "latitude", "longitude"
        )
    )

    assert len(first) == 250
    assert again == first
    assert "Added 250 synthetic pharmacies" in out.getvalue()
    assert "Added 0 synthetic pharmacies (250 of 250 were already present)" in out.getvalue()
    network = Network.objects.get(code=NATIONAL_NETWORK_CODE)
    memberships = NetworkPharmacy.objects.filter(
        network=network, pharmacy__license_number__startswith="SYN-"
    )
    assert memberships.count() == 250
    assert 0.25 < memberships.filter(is_preferred=True).count() / 250 < 0.55
    real.refresh_from_db()
    assert real.name != "" and not real.network_memberships.exists()  # the real roster untouched
    event = AuditEvent.objects.filter(action="pharmacies.synthetic_generated").latest("pk")
    assert event.details == {"seed": 9, "requested": 250, "added": 0}


@pytest.mark.django_db
def test_the_database_rows_equal_the_pure_generator(centroids: object) -> None:
    generate_synthetic_pharmacies(count=40, seed=4)

    stored = {
        row["license_number"]: row
        for row in Pharmacy.objects.filter(license_number__startswith="SYN-").values()
    }
    for expected in generate(40, seed=4):
        row = stored[str(expected["license_number"])]
        assert {key: row[key] for key in expected} == expected


@pytest.mark.django_db
def test_a_larger_run_adds_only_the_missing_pharmacies(centroids: object) -> None:
    generate_synthetic_pharmacies(count=30, seed=1)

    report = generate_synthetic_pharmacies(count=50, seed=1)

    assert (report.added, report.already_present) == (20, 30)
    assert Pharmacy.objects.filter(license_number__startswith="SYN-1-").count() == 50


@pytest.mark.django_db
def test_refused_in_production(centroids: object, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RXPORTAL_ENV = "production"

    with pytest.raises(CommandError, match="never added in production"):
        call_command("generate_pharmacies", "--count", "5", "--no-progress")
    assert not Pharmacy.objects.exists()


@pytest.mark.django_db
def test_needs_the_zip_centroids() -> None:
    with pytest.raises(CommandError, match="import_reference_data"):
        call_command("generate_pharmacies", "--count", "5", "--no-progress")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [["--count", "0"], ["--count", "5", "--seed", "-1"], ["--count", "5", "--batch-size", "0"]],
)
def test_bad_arguments_are_refused(centroids: object, args: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("generate_pharmacies", *args, "--no-progress")
