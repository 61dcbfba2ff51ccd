"""Pure formulary rules used by the importers: no database."""

from decimal import Decimal

import pytest

from rxportal.formulary.domain import (
    DrugName,
    EntryFacts,
    QuantityLimit,
    UnitCost,
    compute_cheaper_alternatives,
    compute_therapeutic_class,
    is_mail_eligible,
    parse_rolling_quantity_limit,
    parse_rxnorm_name,
    prefer_unit_cost,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "atorvastatin 40 MG Oral Tablet [Lipitor]",
            DrugName("atorvastatin", "40 MG", "Oral Tablet", "Lipitor"),
        ),
        (
            "atorvastatin 40 MG Oral Tablet",
            DrugName("atorvastatin", "40 MG", "Oral Tablet", ""),
        ),
        (
            "acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet [Endocet]",
            DrugName(
                "acetaminophen / oxycodone hydrochloride", "325 MG / 5 MG", "Oral Tablet", "Endocet"
            ),
        ),
        (
            "12 HR tapentadol 100 MG Extended Release Oral Tablet [Nucynta]",
            DrugName("tapentadol", "100 MG", "Extended Release Oral Tablet", "Nucynta"),
        ),
        (
            "0.65 ML medroxyprogesterone acetate 160 MG/ML Prefilled Syringe [depo-subQ provera]",
            DrugName(
                "medroxyprogesterone acetate", "160 MG/ML", "Prefilled Syringe", "depo-subQ provera"
            ),
        ),
        (
            "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML "
            "Injectable Suspension [Humulin]",
            DrugName(
                "insulin isophane, human / insulin, regular, human",
                "70 UNT/ML / 30 UNT/ML",
                "Injectable Suspension",
                "Humulin",
            ),
        ),
        (
            "NDA020983 60 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler [Ventolin]",
            DrugName("albuterol", "0.09 MG/ACTUAT", "Metered Dose Inhaler", "Ventolin"),
        ),
        (
            "Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet",
            DrugName("acetaminophen / oxycodone hydrochloride", "325 MG / 5 MG", "Oral Tablet", ""),
        ),
        ("Aspirin", DrugName("aspirin", "", "", "")),
        (
            "amlodipine / hydrochlorothiazide / olmesartan Oral Tablet [Tribenzor]",
            DrugName(
                "amlodipine / hydrochlorothiazide / olmesartan", "", "Oral Tablet", "Tribenzor"
            ),
        ),
        (
            "{21 (ethinyl estradiol 0.03 MG / levonorgestrel 0.15 MG Oral Tablet) / "
            "7 (inert ingredients 1 MG Oral Tablet) } Pack [Altavera 28 Day]",
            DrugName("ethinyl estradiol / levonorgestrel", "", "Pack", "Altavera 28 Day"),
        ),
    ],
)
def test_parse_rxnorm_name_on_real_names(name: str, expected: DrugName) -> None:
    assert parse_rxnorm_name(name) == expected


def test_brand_and_insulin_flags_follow_the_parsed_name() -> None:
    humulin = parse_rxnorm_name(
        "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML "
        "Injectable Suspension [Humulin]"
    )
    generic = parse_rxnorm_name("dabigatran etexilate 150 MG Oral Capsule")

    assert (humulin.is_brand, humulin.is_insulin) == (True, True)
    assert (generic.is_brand, generic.is_insulin) == (False, False)


@pytest.mark.parametrize(
    ("ingredient", "expected"),
    [
        ("atorvastatin", "Statin"),
        ("ezetimibe / simvastatin", "Statin"),
        ("hydrochlorothiazide / lisinopril", "ACE inhibitor"),
        ("losartan potassium", "Angiotensin II receptor blocker"),
        ("insulin isophane, human / insulin, regular, human", "Insulin"),
        ("sertraline", "SSRI"),
        ("nystatin / triamcinolone acetonide", ""),  # "statin" inside a word is not a statin
        ("hydrocortisone", ""),
    ],
)
def test_compute_therapeutic_class(ingredient: str, expected: str) -> None:
    assert compute_therapeutic_class(ingredient) == expected


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        (
            "Rolling:count=15/period=30d;DaysSupply:count=1/period=180d/bounds=365d",
            QuantityLimit(15, 30),
        ),
        ("Rolling:count=60/period=30d;MaximumDaily:2", QuantityLimit(60, 30)),
        ("DaysSupply:count=2/period=28d/bounds=365d", None),
        ("", None),
    ],
)
def test_parse_rolling_quantity_limit(detail: str, expected: QuantityLimit | None) -> None:
    assert parse_rolling_quantity_limit(detail) == expected


def test_parse_rolling_quantity_limit_rejects_an_unknown_shape() -> None:
    with pytest.raises(ValueError, match="Rolling"):
        parse_rolling_quantity_limit("Rolling:count=15/period=1mo")


@pytest.mark.parametrize(
    ("tier", "types", "expected"),
    [
        ("generic", ["1-month-in-retail", "3-month-in-retail"], True),
        ("generic", ["1-month-in-retail"], False),
        ("specialty", ["1-month-in-retail", "3-month-in-retail"], False),
        ("specialty", ["1-month-in-mail"], True),
    ],
)
def test_is_mail_eligible(tier: str, types: list[str], expected: bool) -> None:
    assert is_mail_eligible(tier=tier, benefit_types=types) is expected


def test_cheaper_alternatives_need_same_ingredient_and_form_and_a_cheaper_tier() -> None:
    entries = [
        EntryFacts(
            "brand", "pradaxa-75", "dabigatran etexilate", "Oral Capsule", "non-preferred-brand"
        ),
        EntryFacts("generic", "dabi-150", "dabigatran etexilate", "Oral Capsule", "generic"),
        EntryFacts("other-form", "dabi-inj", "dabigatran etexilate", "Injection", "generic"),
        EntryFacts(
            "medical", "dabi-med", "dabigatran etexilate", "Oral Capsule", "medical-service"
        ),
    ]

    assert compute_cheaper_alternatives(entries) == {"brand": {"dabi-150"}}


def test_unit_cost_rules() -> None:
    low = UnitCost(Decimal("0.02"), Decimal("0.35"), Decimal("3.00"))
    high = UnitCost(Decimal("0.01"), Decimal("0.41"), Decimal("2.12"))
    out_of_order = UnitCost(Decimal("0.01"), Decimal("0.32"), Decimal("0.04"))

    assert prefer_unit_cost(low, high) == prefer_unit_cost(high, low) == high
    assert out_of_order.ordered() == UnitCost(Decimal("0.01"), Decimal("0.04"), Decimal("0.32"))
