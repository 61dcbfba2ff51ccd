"""Set up the content hub and the public help center (idempotent): both page trees of each, the
editors' group and the hub's demo items (the help center's text is real, seeded always).

python manage.py seed_hub            # with demo content (development: `make run`)
python manage.py seed_hub --no-demo  # tree and group only
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from rxportal.content.help_seeding import seed_help
from rxportal.content.seeding import seed_hub
from rxportal.core import clock


class Command(BaseCommand):
    help = "Set up the content hub: page trees in English and Spanish, editors, demo content."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Skip the demo items.")

    def handle(self, *args: Any, **options: Any) -> None:
        demo = not options["no_demo"] and settings.RXPORTAL_CREATE_DEMO_ACCOUNTS
        summary = seed_hub(now=clock.now(), demo=demo)
        self.stdout.write(
            f"seed_hub: {summary.created_pages} pages and {summary.created_documents} documents "
            f"created; editors: {', '.join(summary.editors) or 'none added'}"
        )
        help_summary = seed_help()
        self.stdout.write(f"seed_help: {help_summary.created_pages} help pages created")
