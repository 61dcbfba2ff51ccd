"""Load every reference file, in dependency order; what `make run` calls before serving."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

# Drugs before formularies: entries and their alternatives read each drug's ingredient.
IMPORTERS = ("import_drugs", "import_formularies", "import_pharmacies", "import_zip_centroids")


class Command(BaseCommand):
    help = (
        "Import all reference data (drugs, formularies, pharmacies, ZIP centroids). "
        "All or nothing; a second run on unchanged files writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            default=None,
            help="folder holding the reference CSVs (default: RXPORTAL_REFERENCE_DATA_DIR)",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (also off at -v 0)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # One transaction: a bad row in a later file must not leave earlier files half-applied.
        with transaction.atomic():
            for name in IMPORTERS:
                call_command(
                    name,
                    data_dir=options["data_dir"],
                    no_progress=options["no_progress"],
                    verbosity=options["verbosity"],
                    stdout=self.stdout,
                    stderr=self.stderr,
                )
