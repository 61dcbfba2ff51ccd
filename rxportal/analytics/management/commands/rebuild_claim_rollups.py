"""Rebuild the drug-trend rollups of every client (or one) from the claims."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rxportal.analytics.services import rebuild_claim_rollups
from rxportal.clients.models import Client


class Command(BaseCommand):
    help = "Rebuild the drug-trend claim rollups from the claims (all clients, or --client CODE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", help="client code (default: every client)")

    def handle(self, *args: Any, **options: Any) -> None:
        clients = Client.objects.order_by("code")
        if options["client"]:
            clients = clients.filter(code=options["client"])
        for client_id, code in clients.values_list("id", "code"):
            summary = rebuild_claim_rollups(client_id=client_id)
            self.stdout.write(
                f"{code}: {len(summary.months)} months, {summary.drug_rows} drug rows, "
                f"{summary.member_rows} member-month rows"
            )
