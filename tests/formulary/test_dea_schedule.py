"""DEA schedules: the rule over RxNorm names (no DB), the maintained list against the drug
files it covers, and the importer that stores each drug's schedule."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from rxportal.core.importing import CsvSource
from rxportal.formulary.domain import DeaSchedule, compute_dea_schedule
from rxportal.formulary.models import Drug
from rxportal.formulary.services import import_formularies, read_controlled_substance_rules

REFERENCE = Path(settings.RXPORTAL_REFERENCE_DATA_DIR)
RULES = read_controlled_substance_rules(CsvSource(REFERENCE / "dea_controlled_substances.csv"))


@pytest.mark.parametrize(
    ("name", "schedule"),
    [
        ("oxycodone hydrochloride 5 MG Oral Tablet", DeaSchedule.CII),
        ("Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet", DeaSchedule.CII),
        (
            "Abuse-Deterrent 12 HR Oxycodone Hydrochloride 10 MG Extended Release Oral Tablet "
            "[Oxycontin]",
            DeaSchedule.CII,
        ),
        ("Methylphenidate Hydrochloride 20 MG Oral Tablet", DeaSchedule.CII),
        ("24 HR dexmethylphenidate hydrochloride 40 MG Extended Release Oral Capsule", "CII"),
        ("72 HR Fentanyl 0.025 MG/HR Transdermal System", DeaSchedule.CII),
        # Hydrocodone combinations are CII since 2014, whatever the strength.
        ("Acetaminophen 300 MG / Hydrocodone Bitartrate 5 MG Oral Tablet", DeaSchedule.CII),
        ("buprenorphine 2 MG / naloxone 0.5 MG Sublingual Film", DeaSchedule.CIII),
        ("tramadol hydrochloride 50 MG Oral Tablet", DeaSchedule.CIV),
        ("clonazePAM 0.25 MG Oral Tablet", DeaSchedule.CIV),
        ("pregabalin 100 MG Oral Capsule", DeaSchedule.CV),
        ("atorvastatin 40 MG Oral Tablet [Lipitor]", DeaSchedule.NONE),
        ("100 ML Propofol 10 MG/ML Injection", DeaSchedule.NONE),
    ],
)
def test_a_drug_takes_its_controlled_ingredients_schedule(name: str, schedule: str) -> None:
    assert compute_dea_schedule(name=name, rules=RULES) == schedule


@pytest.mark.parametrize(
    ("name", "schedule"),
    [
        # Codeine alone is CII; with acetaminophen, at most 90 mg a tablet, CIII; a syrup with at
        # most 200 mg per 100 mL (2 MG/ML) and another active ingredient, CV.
        ("codeine sulfate 30 MG Oral Tablet", DeaSchedule.CII),
        ("Acetaminophen 300 MG / Codeine Phosphate 15 MG Oral Tablet", DeaSchedule.CIII),
        ("acetaminophen 300 MG / codeine phosphate 120 MG Oral Tablet", DeaSchedule.CII),
        ("codeine phosphate 2 MG/ML / guaifenesin 20 MG/ML Oral Solution", DeaSchedule.CV),
        ("codeine phosphate 10 MG/ML / guaifenesin 20 MG/ML Oral Solution", DeaSchedule.CIII),
        # Buprenorphine's partner does not lower it (no limited-preparation row).
        ("buprenorphine 8 MG / naloxone 2 MG Sublingual Film", DeaSchedule.CIII),
        # Diphenoxylate: CII alone, CV with at least 25 micrograms of atropine a tablet.
        ("diphenoxylate hydrochloride 2.5 MG Oral Tablet", DeaSchedule.CII),
        ("atropine sulfate 0.025 MG / diphenoxylate hydrochloride 2.5 MG Oral Tablet", "CV"),
        ("atropine sulfate 0.01 MG / diphenoxylate hydrochloride 2.5 MG Oral Tablet", "CII"),
        (
            "atropine sulfate 0.005 MG/ML / diphenoxylate hydrochloride 0.5 MG/ML Oral Solution",
            DeaSchedule.CV,
        ),
        # Difenoxin: CI alone, CIV up to 1 mg with atropine (Motofen), CV up to 0.5 mg.
        ("atropine sulfate 0.025 MG / difenoxin hydrochloride 1 MG Oral Tablet [Motofen]", "CIV"),
        ("atropine sulfate 0.025 MG / difenoxin hydrochloride 0.5 MG Oral Tablet", "CV"),
        ("difenoxin hydrochloride 1 MG Oral Tablet", DeaSchedule.CI),
        # Dihydrocodeine is CII (1308.12(b)(1)); at most 90 mg a unit with another active
        # ingredient CIII (1308.13(e)(1)(v)); at most 100 mg per 100 mL, CV (1308.15(c)(2)).
        ("dihydrocodeine bitartrate 16 MG Oral Tablet", DeaSchedule.CII),
        (
            "acetaminophen 325 MG / caffeine 30 MG / dihydrocodeine bitartrate 16 MG Oral Tablet",
            DeaSchedule.CIII,
        ),
        ("dihydrocodeine bitartrate 1 MG/ML / guaifenesin 20 MG/ML Oral Solution", "CV"),
        # A salt of the substance, never a different substance that starts alike ("codeine"
        # names "codeine phosphate", never "dihydrocodeine").
        ("dihydrocodeine bitartrate 30 MG / aspirin 356 MG Oral Capsule", DeaSchedule.CIII),
        # Commonly dispensed substances not (yet) in the drug files: they must import
        # controlled when a new drug file lists them.
        ("hydromorphone hydrochloride 2 MG Oral Tablet", DeaSchedule.CII),
        ("oxymorphone hydrochloride 5 MG Oral Tablet", DeaSchedule.CII),
        ("levorphanol tartrate 2 MG Oral Tablet", DeaSchedule.CII),
        ("lisdexamfetamine dimesylate 30 MG Oral Capsule", DeaSchedule.CII),
        ("methamphetamine hydrochloride 5 MG Oral Tablet", DeaSchedule.CII),
        ("testosterone cypionate 200 MG/ML Injectable Solution", DeaSchedule.CIII),
        ("ketamine hydrochloride 50 MG/ML Injectable Solution", DeaSchedule.CIII),
        ("alprazolam 0.5 MG Oral Tablet", DeaSchedule.CIV),
        ("zolpidem tartrate 10 MG Oral Tablet", DeaSchedule.CIV),
        ("temazepam 15 MG Oral Capsule", DeaSchedule.CIV),
        ("carisoprodol 350 MG Oral Tablet", DeaSchedule.CIV),
        ("phentermine hydrochloride 37.5 MG Oral Tablet", DeaSchedule.CIV),
        ("modafinil 100 MG Oral Tablet", DeaSchedule.CIV),
        ("lacosamide 50 MG Oral Tablet", DeaSchedule.CV),
        # A pack takes its strictest product's schedule.
        (
            "{7 (tramadol hydrochloride 50 MG Oral Tablet) / 7 (oxycodone hydrochloride 5 MG "
            "Oral Tablet) } Pack",
            DeaSchedule.CII,
        ),
    ],
)
def test_limited_preparations_and_combinations_follow_the_cfr(name: str, schedule: str) -> None:
    assert compute_dea_schedule(name=name, rules=RULES) == schedule


def test_without_rules_nothing_is_controlled() -> None:
    assert compute_dea_schedule(name="oxycodone hydrochloride 5 MG Oral Tablet", rules=[]) == ""


_SECTION = {"CI": "1308.11", "CII": "1308.12", "CIII": "1308.13", "CIV": "1308.14", "CV": "1308.15"}


def test_every_listed_row_is_well_formed_and_cites_its_schedules_section() -> None:
    # Rows may list substances no drug file has yet (so a new file imports them controlled);
    # each is an RxNorm-style lower-case name, listed once, citing the section of its schedule.
    keys = []
    for rule in RULES:
        assert re.fullmatch(r"[a-z][a-z0-9 -]*[a-z0-9]", rule.ingredient), rule.ingredient
        assert re.fullmatch(
            rf"21 CFR {re.escape(_SECTION[rule.schedule])}(\([0-9a-z]+\))+", rule.cfr_section
        ), (rule.ingredient, rule.cfr_section)
        if rule.with_ingredient:
            assert rule.max_strength is not None, rule.ingredient
        keys.append((rule.ingredient, rule.schedule, rule.max_strength, rule.with_ingredient))
    assert len(keys) == len(set(keys))
    listed = {rule.ingredient for rule in RULES}
    for substance in ("hydromorphone", "oxymorphone", "alprazolam", "zolpidem", "testosterone"):
        assert substance in listed, substance
    assert "lisdexamfetamine" in listed and "dihydrocodeine" in listed


def test_each_substance_has_exactly_one_schedule_of_its_own() -> None:
    base = [rule.ingredient for rule in RULES if rule.max_strength is None]
    assert sorted(base) == sorted(set(base))
    assert {rule.ingredient for rule in RULES} == set(base)


@pytest.mark.django_db
def test_the_import_stores_the_schedule_and_the_demos_drugs_are_schedule_ii() -> None:
    call_command("import_drugs", data_dir=str(REFERENCE), no_progress=True, stdout=StringIO())

    # The drugs the demo prescribes (formulary drugs with a Synthea price).
    for rxcui in ("1049221", "1049635", "1049683", "1091392"):
        assert Drug.objects.get(rxcui=rxcui).dea_schedule == "CII", rxcui
    assert not Drug.objects.filter(ingredient__contains="oxycodone").exclude(dea_schedule="CII")
    assert not Drug.objects.filter(ingredient__contains="methylphenidate").exclude(
        dea_schedule="CII"
    )
    assert Drug.objects.get(rxcui="835603").dea_schedule == "CIV"  # tramadol
    assert Drug.objects.get(rxcui="993770").dea_schedule == "CIII"  # acetaminophen / codeine
    assert Drug.objects.get(rxcui="1190572").dea_schedule == "CV"  # Lomotil
    assert Drug.objects.get(rxcui="103401").dea_schedule == ""  # hydrocortisone ointment
    assert Drug.objects.filter(dea_schedule="").count() > 250


@pytest.mark.django_db
def test_a_drug_first_seen_in_a_formulary_file_takes_its_schedule(tmp_path: Path) -> None:
    plans = tmp_path / "plans.csv"
    plans.write_text(
        "plan_id,payer_plan_name,formulary_id,formulary_name,period_start\n"
        "P1,Gold PPO,F1,Standard formulary,2026-01-01\n"
    )
    items = tmp_path / "items.csv"
    items.write_text(
        "formulary_id,rxcui,rxnorm_name,drug_tier,prior_authorization,step_therapy,"
        "quantity_limit,quantity_limit_detail,pharmacy_benefit_types\n"
        "F1,999001,hydromorphone hydrochloride 2 MG Oral Tablet,generic,false,false,false,,\n"
    )

    import_formularies(
        plans=CsvSource(plans),
        items=CsvSource(items),
        controlled_substances=CsvSource(REFERENCE / "dea_controlled_substances.csv"),
    )

    assert Drug.objects.get(rxcui="999001").dea_schedule == "CII"
