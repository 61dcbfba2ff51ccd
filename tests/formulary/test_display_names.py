"""Readable drug names from RxNorm names (pure: no database)."""

from __future__ import annotations

import csv
import re
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
        # Several drugs in a pack: their ingredients, each strength once, and shared form;
        # placebo left out.
        (
            "{7 (ethinyl estradiol 0.035 MG / norgestimate 0.18 MG Oral Tablet) / 7 (ethinyl "
            "estradiol 0.035 MG / norgestimate 0.215 MG Oral Tablet) / 7 (ethinyl estradiol "
            "0.035 MG / norgestimate 0.25 MG Oral Tablet) / 7 (inert ingredients 1 MG Oral "
            "Tablet) } Pack [Ortho Tri-Cyclen 28 Day]",
            "Ortho Tri-Cyclen 28 Day (ethinyl estradiol 0.035 MG / norgestimate 0.18, "
            "0.215, 0.25 MG Oral Tablet, pack of 28)",
        ),
        # A volume inside a pack is not a drug, but how much is in it.
        (
            "{2 (480 ML) (magnesium sulfate 0.0277 MEQ/ML / potassium sulfate 0.0374 MEQ/ML / "
            "sodium sulfate 0.257 MEQ/ML Oral Solution) } Pack",
            "Magnesium sulfate 0.0277 MEQ/ML / potassium sulfate 0.0374 MEQ/ML / sodium sulfate "
            "0.257 MEQ/ML Oral Solution, 480 ML, pack of 2",
        ),
        # Two packs that differ only in a strength read differently.
        (
            "{21 (drospirenone 3 MG / ethinyl estradiol 0.03 MG / levomefolate calcium 0.451 MG "
            "Oral Tablet) / 7 (levomefolate calcium 0.451 MG Oral Tablet) } Pack",
            "Drospirenone 3 MG / ethinyl estradiol 0.03 MG / levomefolate calcium 0.451 MG Oral "
            "Tablet, pack of 28",
        ),
        (
            "{24 (drospirenone 3 MG / ethinyl estradiol 0.02 MG / levomefolate calcium 0.451 MG "
            "Oral Tablet) / 4 (levomefolate calcium 0.451 MG Oral Tablet) } Pack",
            "Drospirenone 3 MG / ethinyl estradiol 0.02 MG / levomefolate calcium 0.451 MG Oral "
            "Tablet, pack of 28",
        ),
        # Branded drug (SBD): the brand, strength, release duration and form.
        (
            "24 HR dexmethylphenidate hydrochloride 40 MG Extended Release Oral Capsule [Focalin]",
            "Focalin 40 MG 24 HR Extended Release Oral Capsule",
        ),
        (
            "12 HR Cefaclor 500 MG Extended Release Oral Tablet",
            "Cefaclor 500 MG 12 HR Extended Release Oral Tablet",
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
        # Long with every strength: still every strength (a C-II drug), read whole.
        (
            "amphetamine aspartate 1.875 MG / amphetamine sulfate 1.875 MG / dextroamphetamine "
            "saccharate 1.875 MG / dextroamphetamine sulfate 1.875 MG Oral Tablet",
            "Amphetamine aspartate 1.875 MG / amphetamine sulfate 1.875 MG / dextroamphetamine "
            "saccharate 1.875 MG / dextroamphetamine sulfate 1.875 MG Oral Tablet",
        ),
        # The amount of a generic combination is kept.
        (
            "0.5 ML diphtheria toxoid vaccine, inactivated 50 UNT/ML / tetanus toxoid vaccine, "
            "inactivated 10 UNT/ML Injection",
            "Diphtheria toxoid vaccine, inactivated 50 UNT/ML / tetanus toxoid vaccine, "
            "inactivated 10 UNT/ML Injection, 0.5 ML",
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
    # Short, or never longer than the RxNorm name it reads (nothing is padded on).
    too_long = [
        (name, display)
        for name, display in zip(names, display_names, strict=True)
        if len(display) > max(DISPLAY_NAME_MAX_LENGTH, len(name))
    ]
    assert too_long == []
    # Only long combinations (multivitamins, bowel preps, four salts) go over the bound: 1 in 100.
    assert sum(len(d) > DISPLAY_NAME_MAX_LENGTH for d in display_names) <= len(names) // 100


def test_distinct_reference_drugs_never_share_a_display_name() -> None:
    by_display: dict[str, set[str]] = {}
    for name in _reference_names():
        by_display.setdefault(compute_display_name(name), set()).add(
            " ".join(name.casefold().split())
        )

    assert {d: names for d, names in by_display.items() if len(names) > 1} == {}


# A strength or amount: a number and an upper-case unit ("0.35 MG", "100 MG/ML", "120 ACTUAT").
_STRENGTH = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?) [A-Z][A-Z0-9]*(?:/[A-Z][A-Z0-9]*)?\b")
_DURATION = re.compile(r"(?<![\d.])\d+ HR\b")
# A placebo tablet's "strength" in a pack is not a drug's.
_PLACEBO = re.compile(r"\(inert ingredients [^()]*\)")


def test_every_strength_and_duration_of_a_reference_drug_is_in_its_display_name() -> None:
    """A member is never misled about strength or release: no number is dropped."""
    missing: dict[str, list[str]] = {}
    for name in _reference_names():
        display = compute_display_name(name)
        text = _PLACEBO.sub("", name.split("[")[0])
        lost = [
            number
            for number in _STRENGTH.findall(text)
            if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.]|\d)", display)
        ]
        lost += [d for d in _DURATION.findall(text) if d not in display]
        if lost:
            missing[name] = lost

    assert missing == {}
