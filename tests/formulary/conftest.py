"""Drugs with real RxNorm names (parsed by the importer's own rules) and the search index."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rxportal.formulary.models import Drug
from rxportal.formulary.services import drug_values, rebuild_drug_search_index

# (rxcui, RxNorm name) as in data/reference: generics, brands, combinations.
REAL_DRUGS = (
    ("617310", "atorvastatin 20 MG Oral Tablet"),
    ("617311", "atorvastatin 40 MG Oral Tablet"),
    ("617312", "atorvastatin 10 MG Oral Tablet"),
    ("259255", "atorvastatin 80 MG Oral Tablet"),
    ("617314", "atorvastatin 10 MG Oral Tablet [Lipitor]"),
    ("617320", "atorvastatin 40 MG Oral Tablet [Lipitor]"),
    ("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"),
    ("861007", "metformin hydrochloride 500 MG Oral Tablet"),
    (
        "1243848",
        "24 HR metformin hydrochloride 500 MG / sitagliptin 50 MG Extended Release Oral Tablet [Janumet]",
    ),
    ("29046", "Lisinopril"),
    ("314076", "lisinopril 10 MG Oral Tablet"),
    ("314077", "lisinopril 20 MG Oral Tablet"),
    ("311353", "lisinopril 2.5 MG Oral Tablet"),
    ("197885", "hydrochlorothiazide 12.5 MG / lisinopril 10 MG Oral Tablet"),
    ("1806890", "lisinopril 1 MG/ML Oral Solution [Qbrelis]"),
    ("312961", "simvastatin 20 MG Oral Tablet"),
    ("197904", "lovastatin 20 MG Oral Tablet"),
    ("1114202", "rivaroxaban 10 MG Oral Tablet [Xarelto]"),
    ("308182", "amoxicillin 250 MG Oral Capsule"),
)
UNIT_COST = Decimal("0.50")


def make_drug(rxcui: str, name: str, *, unit_cost: Decimal | None = UNIT_COST) -> Drug:
    values = drug_values(rxcui, name, None)
    values.update(unit_cost_min=unit_cost, unit_cost_mode=unit_cost, unit_cost_max=unit_cost)
    return Drug.objects.create(**values)


@pytest.fixture
def drugs(db: None) -> dict[str, Drug]:
    """Every drug of REAL_DRUGS by rxcui, with the search index built."""
    made = {rxcui: make_drug(rxcui, name) for rxcui, name in REAL_DRUGS}
    rebuild_drug_search_index()
    return made
