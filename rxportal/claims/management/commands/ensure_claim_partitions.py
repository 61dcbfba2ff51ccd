"""Create the coming plan years' claims partitions ahead of time (PostgreSQL); idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rxportal.claims.partitions import ensure_claim_partitions, list_partitions
from rxportal.core import clock


class Command(BaseCommand):
    help = (
        "Create claims_claim's partitions for this year and the next ones, and move any rows "
        "that landed in the DEFAULT partition into their year's (PostgreSQL; safe to rerun)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--years-ahead", type=int, default=1, help="years after this one to create (default 1)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["years_ahead"] < 0:
            self.stderr.write("--years-ahead cannot be negative")
            raise SystemExit(2)
        report = ensure_claim_partitions(today=clock.today(), years_ahead=options["years_ahead"])
        if not report.supported:
            self.stdout.write("claims are an ordinary table on this database: nothing to do")
            return
        created = ", ".join(str(year) for year in report.created) or "none"
        self.stdout.write(f"created: {created}; rows moved out of DEFAULT: {report.moved_rows}")
        for name, rows in list_partitions():
            self.stdout.write(f"  {name:<24} ~{rows:,} rows")
