"""What create_standard_plans needs from the importers, made directly (fast, in-transaction)."""

from __future__ import annotations

import csv

from django.conf import settings

from rxportal.formulary.models import Formulary
from rxportal.pharmacies.models import Network


def create_plan_prerequisites() -> None:
    """The 18 real formularies (rows only, no entries) and the RXP-NATIONAL network."""
    path = settings.RXPORTAL_REFERENCE_DATA_DIR / "qhp_formulary_plans.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Formulary.objects.get_or_create(
                code=row["formulary_id"],
                defaults={"name": row["formulary_name"], "plan_year": 2024},
            )
    Network.objects.get_or_create(code="RXP-NATIONAL", defaults={"name": "Rxportal National"})
