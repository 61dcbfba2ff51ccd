"""Check the audit trail's hash chain; exit status 1 names the first broken event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rxportal.audit.selectors import verify_chain
from rxportal.audit.services import count_pending_events


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (numbering, links and HMACs) from the first event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="rows fetched per round trip"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain(batch_size=options["batch_size"])
        if not result.ok:
            raise CommandError(
                f"audit chain BROKEN at sequence {result.first_bad_sequence}: {result.problem} "
                f"({result.events_checked} events before it are intact)",
                returncode=1,
            )
        self.stdout.write(
            f"audit chain OK: {result.events_checked} events "
            f"(head: sequence {result.last_sequence}, hash {result.head_hash})"
        )
        pending = count_pending_events()
        if pending:
            # Deferred appends not sealed yet: beat chains them within seconds.
            self.stdout.write(f"{pending} recorded events are waiting to be chained")
