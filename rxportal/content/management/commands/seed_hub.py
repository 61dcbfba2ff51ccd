"""Set up the content hub (idempotent): both page trees, the editors' group and demo items.

python manage.py seed_hub            # with demo content (development: `make run`)
python manage.py seed_hub --no-demo  # tree and group only
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

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
