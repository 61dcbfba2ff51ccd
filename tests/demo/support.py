"""Helpers for the demo-data tests: the real reference data, loaded once per test module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from rxportal.formulary.models import Drug, Formulary, FormularyEntry
from rxportal.pharmacies.models import Network, NetworkPharmacy, Pharmacy, ZipCentroid

# A fixed clock for the generated data: claims run from 2025-01-01 to this day.
TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def reference_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The importers' real data (committed for the module, removed afterwards): tests in the
    module still run in their own rolled-back transactions on top of it."""
    with django_db_blocker.unblock():
        call_command(
            "import_reference_data", no_progress=True, verbosity=0, stdout=StringIO(),
            stderr=StringIO(),
        )  # fmt: skip
    yield
    with django_db_blocker.unblock():
        FormularyEntry.alternatives.through.objects.all().delete()
        FormularyEntry.objects.all().delete()
        Formulary.objects.all().delete()
        NetworkPharmacy.objects.all().delete()
        Network.objects.all().delete()
        Pharmacy.objects.all().delete()
        ZipCentroid.objects.all().delete()
        Drug.objects.all().delete()
