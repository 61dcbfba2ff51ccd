"""Load QHP formularies and their entries (tier, PA, step therapy, quantity limits)."""

from collections.abc import Callable

from rxportal.core.importing import CsvSource, ImportCommand, ImportReport
from rxportal.formulary.services import import_formularies


class Command(ImportCommand):
    help = (
        "Import formularies from qhp_formulary_plans.csv and their entries from "
        "qhp_formulary_items.csv (idempotent; run import_drugs first)."
    )

    def run_import(self, source: Callable[[str], CsvSource]) -> ImportReport:
        return import_formularies(
            plans=source("qhp_formulary_plans.csv"), items=source("qhp_formulary_items.csv")
        )
