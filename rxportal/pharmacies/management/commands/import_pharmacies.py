"""Load the Connecticut licensed-pharmacy list into the directory and the national network."""

from collections.abc import Callable

from rxportal.core.importing import CsvSource, ImportCommand, ImportReport
from rxportal.pharmacies.services import import_pharmacies


class Command(ImportCommand):
    help = (
        "Import pharmacies from ct_licensed_pharmacies.csv into the RXP-NATIONAL network "
        "(idempotent)."
    )

    def run_import(self, source: Callable[[str], CsvSource]) -> ImportReport:
        return import_pharmacies(pharmacies=source("ct_licensed_pharmacies.csv"))
