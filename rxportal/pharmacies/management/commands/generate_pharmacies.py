"""Add synthetic pharmacies over the real ZIP centroids, for benchmarks at national size.

    python manage.py generate_pharmacies --count 70000 --seed 1

Needs `import_reference_data` (ZIP centroids) first. Deterministic and idempotent: a second run
with the same arguments adds nothing. Refuses in production. The license numbers start with
SYN- so the real roster (the demo directory) is never touched.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from rxportal.core.errors import DomainError
from rxportal.pharmacies.services import SYNTHETIC_BATCH_SIZE, generate_synthetic_pharmacies


class Command(BaseCommand):
    help = (
        "Add synthetic pharmacies (license SYN-<seed>-<n>) spread over the real ZIP centroids "
        "to the RXP-NATIONAL network, for benchmarks (deterministic, idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="Pharmacies to have")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1)")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=SYNTHETIC_BATCH_SIZE,
            help=f"Pharmacies per insert transaction (default {SYNTHETIC_BATCH_SIZE})",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        bar = tqdm(
            total=options["count"],
            unit="pharmacy",
            unit_scale=True,
            mininterval=1.0,
            disable=options["no_progress"] or options["verbosity"] == 0,
        )
        try:
            report = generate_synthetic_pharmacies(
                count=options["count"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                on_progress=bar.update,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bar.close()
        if options["verbosity"] > 0:
            self.stdout.write(
                f"Added {report.added:,} synthetic pharmacies "
                f"({report.already_present:,} of {report.requested:,} were already present) "
                f"in {report.seconds:.1f} s."
            )
