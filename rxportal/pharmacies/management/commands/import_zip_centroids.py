"""Load ZIP (ZCTA) centroids for the pharmacy finder's distance search."""

from collections.abc import Callable

from rxportal.core.importing import CsvSource, ImportCommand, ImportReport
from rxportal.pharmacies.services import import_zip_centroids


class Command(ImportCommand):
    help = "Import ZIP centroids from us_zcta_centroids.csv (idempotent)."

    def run_import(self, source: Callable[[str], CsvSource]) -> ImportReport:
        return import_zip_centroids(centroids=source("us_zcta_centroids.csv"))
