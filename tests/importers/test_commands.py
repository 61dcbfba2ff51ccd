"""Importer commands against small fixture CSVs (real rows) and, once, the real files."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from rxportal.core import clock
from rxportal.core.importing import progress
from rxportal.formulary.models import Drug, Formulary, FormularyEntry
from rxportal.formulary.services import apply_due_formulary_changes
from rxportal.pharmacies.models import Network, NetworkPharmacy, Pharmacy, ZipCentroid
from rxportal.pharmacies.services import NATIONAL_NETWORK_CODE, is_synthetic_preferred

FIXTURES = Path(__file__).parent / "fixtures"
PLAN_1 = "Formulary-10207VA0380001"
TABLES = (Drug, Formulary, FormularyEntry, Pharmacy, Network, NetworkPharmacy, ZipCentroid)


def run(command: str, data_dir: Path = FIXTURES) -> str:
    out = StringIO()
    call_command(command, data_dir=str(data_dir), no_progress=True, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every imported table (all columns), to prove nothing changed."""
    tables = {model.__name__: sorted(model.objects.values_list(), key=repr) for model in TABLES}
    tables["alternatives"] = sorted(FormularyEntry.alternatives.through.objects.values_list())
    return tables


def fixture_copy(tmp_path: Path, file_name: str, edit: Any) -> Path:
    """The fixture folder with one file rewritten by `edit(text) -> text`."""
    data_dir = tmp_path / "data"
    shutil.copytree(FIXTURES, data_dir)
    path = data_dir / file_name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return data_dir


@pytest.mark.django_db
def test_import_drugs_loads_names_parsed_fields_and_costs() -> None:
    run("import_drugs")

    xarelto = Drug.objects.get(rxcui="1114202")
    assert (xarelto.name, xarelto.ingredient, xarelto.strength, xarelto.dose_form) == (
        "rivaroxaban 10 MG Oral Tablet [Xarelto]",
        "rivaroxaban",
        "10 MG",
        "Oral Tablet",
    )
    assert (xarelto.brand_name, xarelto.is_brand, xarelto.therapeutic_class) == (
        "Xarelto",
        True,
        "Anticoagulant",
    )
    humulin = Drug.objects.get(rxcui="106892")
    assert humulin.is_insulin
    assert humulin.therapeutic_class == "Insulin"
    assert (humulin.unit_cost_min, humulin.unit_cost_mode, humulin.unit_cost_max) == (
        Decimal("8.30"),
        Decimal("16.61"),
        Decimal("33.22"),
    )
    lipitor = Drug.objects.get(rxcui="617320")
    assert (lipitor.ingredient, lipitor.brand_name, lipitor.therapeutic_class) == (
        "atorvastatin",
        "Lipitor",
        "Statin",
    )
    # Listed in both drug files: the QHP (RxNorm normalized) name wins over Synthea's display.
    assert Drug.objects.get(rxcui="106258").name == "hydrocortisone 10 MG/ML Topical Cream"
    assert Drug.objects.get(rxcui="1191").ingredient == "aspirin"


@pytest.mark.django_db
def test_import_drugs_keeps_the_higher_mode_for_a_code_priced_twice() -> None:
    output = run("import_drugs")

    atorvastatin_80 = Drug.objects.get(rxcui="259255")
    assert (
        atorvastatin_80.unit_cost_min,
        atorvastatin_80.unit_cost_mode,
        atorvastatin_80.unit_cost_max,
    ) == (Decimal("0.01"), Decimal("0.41"), Decimal("2.12"))
    assert "code 259255 is listed again" in output


@pytest.mark.django_db
def test_import_drugs_sorts_an_out_of_order_price_row() -> None:
    output = run("import_drugs")

    furosemide = Drug.objects.get(rxcui="313988")
    assert (furosemide.unit_cost_min, furosemide.unit_cost_mode, furosemide.unit_cost_max) == (
        Decimal("0.01"),
        Decimal("0.04"),
        Decimal("0.32"),
    )
    assert "line 5: MIN/MODE/MAX 0.01/0.32/0.04 are out of order" in output
    assert "833036" in output  # priced, but in neither drug file: reported, not loaded


@pytest.mark.django_db
def test_import_formularies_loads_real_tiers_and_coverage_rules() -> None:
    run("import_drugs")
    output = run("import_formularies")

    formulary = Formulary.objects.get(code=PLAN_1)
    assert (formulary.name, formulary.plan_year) == ("BlueChoice HMO HSA Silver $3,000", 2024)
    xarelto = FormularyEntry.objects.get(formulary=formulary, drug__rxcui="1114202")
    assert xarelto.tier == "preferred-brand"
    assert not (xarelto.prior_authorization or xarelto.step_therapy or xarelto.quantity_limit)
    assert xarelto.mail_eligible
    ointment = FormularyEntry.objects.get(formulary=formulary, drug__rxcui="103401")
    assert ointment.quantity_limit
    assert (ointment.quantity_limit_amount, ointment.quantity_limit_days) == (15, 30)
    assert ointment.quantity_limit_detail == (
        "Rolling:count=15/period=30d;DaysSupply:count=1/period=180d/bounds=365d"
    )
    assert FormularyEntry.objects.count() == 12
    assert "1 items with tier 'medical-service' skipped" in output


@pytest.mark.django_db
def test_import_formularies_creates_missing_drugs_from_the_item_name() -> None:
    run("import_drugs")
    run("import_formularies")

    methotrexate = Drug.objects.get(rxcui="105585")
    assert (methotrexate.name, methotrexate.ingredient, methotrexate.strength) == (
        "methotrexate 2.5 MG Oral Tablet",
        "methotrexate",
        "2.5 MG",
    )


@pytest.mark.django_db
def test_import_formularies_links_cheaper_same_ingredient_alternatives() -> None:
    run("import_drugs")
    run("import_formularies")

    pradaxa = FormularyEntry.objects.get(formulary__code=PLAN_1, drug__rxcui="1037181")
    generic = FormularyEntry.objects.get(formulary__code=PLAN_1, drug__rxcui="1037045")
    assert list(pradaxa.alternatives.values_list("rxcui", flat=True)) == ["1037045"]
    assert not generic.alternatives.exists()


@pytest.mark.django_db
def test_import_pharmacies_loads_real_rows_into_the_national_network() -> None:
    run("import_pharmacies")

    woodbury = Pharmacy.objects.get(license_number="PCY.0001712")
    assert (woodbury.name, woodbury.address_line, woodbury.city, woodbury.zip_code) == (
        "WOODBURY DRUG",
        "682 MAIN ST S UNIT E 1",
        "WOODBURY",
        "06798",
    )
    assert (woodbury.latitude, woodbury.longitude) == (41.527087, -73.203523)
    assert (woodbury.phone, woodbury.hours, woodbury.is_retail) == ("(203) 263-2282", "", True)
    canfield = Pharmacy.objects.get(license_number="PCY.0000051")
    assert (canfield.address_line, canfield.latitude, canfield.longitude) == ("", None, None)
    memberships = NetworkPharmacy.objects.filter(network__code=NATIONAL_NETWORK_CODE)
    assert memberships.count() == 5
    for membership in memberships.select_related("pharmacy"):
        assert membership.is_preferred is is_synthetic_preferred(membership.pharmacy.license_number)


@pytest.mark.django_db
def test_import_zip_centroids_loads_real_rows() -> None:
    run("import_zip_centroids")

    woodbury = ZipCentroid.objects.get(zip_code="06798")
    assert (woodbury.latitude, woodbury.longitude, woodbury.state) == (41.561632, -73.206096, "CT")
    assert ZipCentroid.objects.get(zip_code="06511").place_names == "New Haven"
    assert ZipCentroid.objects.count() == 4


@pytest.mark.django_db
def test_second_run_changes_nothing() -> None:
    run("import_reference_data")
    before = snapshot()

    output = run("import_reference_data")

    assert snapshot() == before
    assert " 0 created, 0 updated" in output
    assert " updated" not in output.replace(" 0 updated", "")


@pytest.mark.django_db
def test_a_changed_value_updates_only_that_row(tmp_path: Path) -> None:
    run("import_pharmacies")
    whalley = Pharmacy.objects.get(license_number="PCY.0002327")
    untouched = Pharmacy.objects.get(license_number="PCY.0001712")
    data_dir = fixture_copy(
        tmp_path, "ct_licensed_pharmacies.csv", lambda text: text.replace("(203) 843-5022", "")
    )

    output = run("import_pharmacies", data_dir)

    assert "pharmacies: 0 created, 1 updated, 4 unchanged" in output
    changed = Pharmacy.objects.get(pk=whalley.pk)
    assert changed.phone == ""
    assert changed.updated_at > whalley.updated_at
    assert Pharmacy.objects.get(pk=untouched.pk).updated_at == untouched.updated_at


@pytest.mark.django_db
def test_rows_dropped_from_the_file_are_removed_where_the_file_is_complete(tmp_path: Path) -> None:
    run("import_reference_data")
    data_dir = fixture_copy(
        tmp_path,
        "qhp_formulary_items.csv",
        lambda text: "\n".join(line for line in text.split("\n") if ",1037045," not in line),
    )
    (data_dir / "us_zcta_centroids.csv").write_text(
        (FIXTURES / "us_zcta_centroids.csv").read_text(encoding="utf-8").replace("00601,", "00602,")
    )

    output = run("import_reference_data", data_dir)

    # The generic leaves both formularies, announced 30 days ahead: until then it stays
    # covered; then the daily job removes it and Pradaxa loses its cheaper alternative.
    assert "formulary entries: 0 created, 0 updated, 12 unchanged" in output
    assert "coverage changes announced: 2 created, 0 updated, 0 unchanged" in output
    assert FormularyEntry.alternatives.through.objects.exists()
    assert apply_due_formulary_changes(today=clock.today() + dt.timedelta(days=30)) == 2
    assert FormularyEntry.objects.count() == 10
    assert not FormularyEntry.alternatives.through.objects.exists()
    assert Drug.objects.filter(rxcui="1037045").exists()  # drugs are never deleted
    assert sorted(ZipCentroid.objects.values_list("zip_code", flat=True)) == [
        "00602",
        "06040",
        "06511",
        "06798",
    ]


BAD_ROWS = [
    pytest.param(
        "us_zcta_centroids.csv",
        lambda text: text.replace("06040,41.761415", "06040,abc"),
        "us_zcta_centroids.csv line 3: latitude 'abc' is not a number",
        id="non-numeric latitude",
    ),
    pytest.param(
        "qhp_formulary_items.csv",
        lambda text: text.replace(
            ",103401,hydrocortisone 0.025 MG/MG Topical Ointment,generic,",
            ",103401,hydrocortisone 0.025 MG/MG Topical Ointment,platinum,",
            1,
        ),
        "qhp_formulary_items.csv line 2: drug_tier 'platinum' is not a known tier",
        id="unknown tier",
    ),
    pytest.param(
        "ct_licensed_pharmacies.csv",
        lambda text: text.replace("license_number", "licence_no", 1),
        "ct_licensed_pharmacies.csv line 1: license_number column is missing from the header",
        id="missing column",
    ),
    pytest.param(
        "ct_licensed_pharmacies.csv",
        lambda text: text.replace("41.318105", "141.318105"),
        "ct_licensed_pharmacies.csv line 3: latitude 141.318105 is outside -90..90",
        id="latitude out of range",
    ),
    pytest.param(
        "synthea_medication_costs.csv",
        lambda text: text.replace("259255,0.01,0.41", "259255,0.01,n/a"),
        "synthea_medication_costs.csv line 3: MODE 'n/a' is not an amount",
        id="non-numeric cost",
    ),
    pytest.param(
        "us_zcta_centroids.csv",
        lambda text: text.rstrip("\n") + "\n06798,41.5,-73.2,CT\n",
        "us_zcta_centroids.csv line 6: state_source is missing (the row has too few fields)",
        id="short row",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("file_name", "edit", "message"), BAD_ROWS)
def test_a_bad_row_fails_naming_file_line_and_field_and_changes_nothing(
    tmp_path: Path, file_name: str, edit: Any, message: str
) -> None:
    run("import_reference_data")
    # Make every table differ from the files, so that any write a failed import kept would show.
    Drug.objects.update(name="edited")
    Formulary.objects.update(name="edited")
    FormularyEntry.objects.update(step_therapy=True)
    FormularyEntry.alternatives.through.objects.all().delete()
    Pharmacy.objects.update(phone="edited")
    NetworkPharmacy.objects.update(is_preferred=True)
    ZipCentroid.objects.update(place_names="edited")
    before = snapshot()
    data_dir = fixture_copy(tmp_path, file_name, edit)

    with pytest.raises(CommandError) as raised:
        run("import_reference_data", data_dir)

    assert message in str(raised.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_bad_row_on_first_load_leaves_the_table_empty(tmp_path: Path) -> None:
    # Rows 2 and 3 are good; row 4 is bad: none of them may be kept.
    data_dir = fixture_copy(
        tmp_path, "us_zcta_centroids.csv", lambda text: text.replace("06511,41.31727", "06511,x")
    )

    with pytest.raises(CommandError, match=r"us_zcta_centroids\.csv line 4: latitude 'x'"):
        run("import_zip_centroids", data_dir)

    assert not ZipCentroid.objects.exists()


@pytest.mark.django_db
def test_a_missing_file_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"us_zcta_centroids\.csv: file not found"):
        run("import_zip_centroids", tmp_path)


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_a_command_error(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(FIXTURES, data_dir)
    (data_dir / "us_zcta_centroids.csv").write_bytes(
        b"zcta5,latitude,longitude,state,state_source,place_names\n"
        b"06798,41.5,-73.2,CT,place_map,Woodbury\n"
        b"06511,41.3,-72.9,CT,place_map,New Haven \xe9\n"
    )

    with pytest.raises(CommandError, match=r"us_zcta_centroids\.csv line \d+: row is not readable"):
        run("import_zip_centroids", data_dir)


def test_progress_bar_only_on_a_terminal_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [1, 2, 3]
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    assert progress(rows, desc="x", enabled=True) is rows

    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert progress(rows, desc="x", enabled=False) is rows
    bar = progress(rows, desc="x", enabled=True)
    assert list(bar) == rows
    assert bar is not rows


@pytest.mark.django_db
def test_import_reference_data_loads_the_real_files() -> None:
    output = run("import_reference_data", settings.RXPORTAL_REFERENCE_DATA_DIR)

    assert Drug.objects.count() >= 329
    assert Formulary.objects.count() == 18
    storable = {value for value, _ in FormularyEntry._meta.get_field("tier").choices or []}
    # 5,400 items; the 350 medical-service ones load once FormularyEntry.tier can hold them.
    expected_entries = 5400 if "medical-service" in storable else 5400 - 350
    assert FormularyEntry.objects.count() == expected_entries
    assert Pharmacy.objects.count() == 609
    assert ZipCentroid.objects.count() == 33791
    preferred = NetworkPharmacy.objects.filter(is_preferred=True).count()
    assert 0.35 < preferred / 609 < 0.45
    assert "ZIP centroids: 33791 created" in output


@pytest.mark.django_db
def test_import_formularies_refuses_an_effective_date_under_30_days_away() -> None:
    run("import_drugs")
    too_soon = (clock.today() + dt.timedelta(days=29)).isoformat()

    with pytest.raises(CommandError, match="30 days after it is announced"):
        call_command(
            "import_formularies",
            f"--effective-on={too_soon}",
            data_dir=str(FIXTURES),
            no_progress=True,
            stdout=StringIO(),
        )

    assert not Formulary.objects.exists()
