"""Readable drug names from RxNorm names (pure: no database)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rxportal.formulary.domain import DISPLAY_NAME_MAX_LENGTH, compute_display_name

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"


def _reference_names() -> list[str]:
    """Every drug name the importer reads: QHP RxNorm names, then Synthea's displays."""
    names: dict[str, str] = {}
    with (REFERENCE / "qhp_formulary_drugs.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names[row["rxcui"]] = row["rxnorm_name"]
    with (REFERENCE / "synthea_rxnorm_medications.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names.setdefault(row["rxcui"], row["display"])
    return list(names.values())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Branded pack (BPCK): brand, what is in it, how many.
        (
            "{28 (norethindrone 0.35 MG Oral Tablet) } Pack [Errin 28 Day]",
            "Errin 28 Day (norethindrone 0.35 MG Oral Tablet, pack of 28)",
        ),
        # Generic pack (GPCK).
        (
            "{4 (risedronate sodium 35 MG Delayed Release Oral Tablet) } Pack",
            "Risedronate sodium 35 MG Delayed Release Oral Tablet, pack of 4",
        ),
        # Several drugs in a pack: their ingredients and shared form; placebo left out.
        (
            "{7 (ethinyl estradiol 0.035 MG / norgestimate 0.18 MG Oral Tablet) / 7 (ethinyl "
            "estradiol 0.035 MG / norgestimate 0.215 MG Oral Tablet) / 7 (ethinyl estradiol "
            "0.035 MG / norgestimate 0.25 MG Oral Tablet) / 7 (inert ingredients 1 MG Oral "
            "Tablet) } Pack [Ortho Tri-Cyclen 28 Day]",
            "Ortho Tri-Cyclen 28 Day (ethinyl estradiol / norgestimate Oral Tablet, pack of 28)",
        ),
        # A volume inside a pack is not a drug.
        (
            "{2 (480 ML) (magnesium sulfate 0.0277 MEQ/ML / potassium sulfate 0.0374 MEQ/ML / "
            "sodium sulfate 0.257 MEQ/ML Oral Solution) } Pack",
            "Magnesium sulfate / potassium sulfate / sodium sulfate Oral Solution, pack of 2",
        ),
        # Branded drug (SBD): the brand, strength and form; "24 HR" is said by the form.
        (
            "24 HR dexmethylphenidate hydrochloride 40 MG Extended Release Oral Capsule [Focalin]",
            "Focalin 40 MG Extended Release Oral Capsule",
        ),
        ("atorvastatin 40 MG Oral Tablet [Lipitor]", "Lipitor 40 MG Oral Tablet"),
        # Clinical drug (SCD) stays as RxNorm says it.
        ("lisinopril 10 MG Oral Tablet", "Lisinopril 10 MG Oral Tablet"),
        (
            "hydrochlorothiazide 12.5 MG / losartan potassium 50 MG Oral Tablet",
            "Hydrochlorothiazide 12.5 MG / losartan potassium 50 MG Oral Tablet",
        ),
        # Synthea's capitals ("oxyCODONE") become RxNorm's lower case, then a title's capital.
        ("oxyCODONE 5 MG Oral Tablet", "Oxycodone 5 MG Oral Tablet"),
        # The amount that tells two syringes or inhalers apart is kept.
        (
            "0.4 ML enoxaparin sodium 100 MG/ML Prefilled Syringe",
            "Enoxaparin sodium 100 MG/ML Prefilled Syringe, 0.4 ML",
        ),
        (
            "120 ACTUAT budesonide 0.16 MG/ACTUAT / formoterol fumarate 0.0045 MG/ACTUAT "
            "Metered Dose Inhaler [Symbicort]",
            "Symbicort 0.16 MG/ACTUAT / 0.0045 MG/ACTUAT Metered Dose Inhaler, 120 ACTUAT",
        ),
        # Too long with every strength: the ingredients, then fewer of them and an ellipsis.
        (
            "amphetamine aspartate 1.875 MG / amphetamine sulfate 1.875 MG / dextroamphetamine "
            "saccharate 1.875 MG / dextroamphetamine sulfate 1.875 MG Oral Tablet",
            "Amphetamine aspartate / amphetamine sulfate / dextroamphetamine saccharate / \u2026 "
            "Oral Tablet",
        ),
        # An ingredient alone (Synthea).
        ("Aspirin", "Aspirin"),
        ("olmesartan", "Olmesartan"),
    ],
)
def test_display_name_examples(name: str, expected: str) -> None:
    assert compute_display_name(name) == expected


def test_every_reference_drug_has_a_short_readable_display_name() -> None:
    names = _reference_names()
    assert len(names) > 700  # the QHP list and Synthea's, not an empty folder

    display_names = [compute_display_name(name) for name in names]

    assert all(display_names)
    assert [d for d in display_names if set(d) & set("{}[]")] == []
    assert [d for d in display_names if "} Pack" in d or d.endswith(" Pack")] == []
    assert max(len(d) for d in display_names) <= DISPLAY_NAME_MAX_LENGTH
    # Tells drugs apart: at most a handful of the ~800 share a display name.
    assert len(display_names) - len(set(display_names)) <= 2
