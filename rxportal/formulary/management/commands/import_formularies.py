"""Load QHP formularies and their entries (tier, PA, step therapy, quantity limits)."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandParser

from rxportal.core.importing import CsvSource, ImportCommand, ImportReport
from rxportal.formulary.domain import CHANGE_NOTICE_DAYS
from rxportal.formulary.services import import_formularies


class Command(ImportCommand):
    help = (
        "Import formularies from qhp_formulary_plans.csv and their entries from "
        "qhp_formulary_items.csv (idempotent; run import_drugs first; a drug first seen here "
        "takes its DEA schedule from dea_controlled_substances.csv). A change that makes a "
        f"covered drug harder or dearer to get takes effect {CHANGE_NOTICE_DAYS} days later "
        "(or on --effective-on), and the members who take it are told now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--effective-on",
            type=dt.date.fromisoformat,
            default=None,
            help=(
                "YYYY-MM-DD when this file's coverage changes take effect (default and "
                f"earliest: {CHANGE_NOTICE_DAYS} days from today)"
            ),
        )
        parser.add_argument(
            "--safety-withdrawal",
            action="store_true",
            help="the changes are a safety withdrawal: they take effect at once",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.effective_on = options["effective_on"]
        self.safety_withdrawal = options["safety_withdrawal"]
        super().handle(*args, **options)

    def run_import(self, source: Callable[[str], CsvSource]) -> ImportReport:
        return import_formularies(
            plans=source("qhp_formulary_plans.csv"),
            items=source("qhp_formulary_items.csv"),
            controlled_substances=source("dea_controlled_substances.csv"),
            effective_on=self.effective_on,
            safety_withdrawal=self.safety_withdrawal,
        )
