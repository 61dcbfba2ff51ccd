"""Load drugs from the QHP drug list, Synthea's medications and Synthea's price table."""

from collections.abc import Callable

from rxportal.core.importing import CsvSource, ImportCommand, ImportReport
from rxportal.formulary.services import import_drugs


class Command(ImportCommand):
    help = (
        "Import drugs from qhp_formulary_drugs.csv, synthea_rxnorm_medications.csv, "
        "synthea_medication_costs.csv and dea_controlled_substances.csv (idempotent)."
    )

    def run_import(self, source: Callable[[str], CsvSource]) -> ImportReport:
        return import_drugs(
            formulary_drugs=source("qhp_formulary_drugs.csv"),
            synthea_medications=source("synthea_rxnorm_medications.csv"),
            medication_costs=source("synthea_medication_costs.csv"),
            controlled_substances=source("dea_controlled_substances.csv"),
        )
