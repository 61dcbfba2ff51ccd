"""Seed a development database with demo members, claims, accumulators and mail orders.

    python manage.py seed_demo --members 100000 --seed 1 --workers 2

Needs `import_reference_data` first. Refuses in production. A second run with the same seed and
member count prints "already seeded" and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from rxportal.core.errors import DomainError
from rxportal.demo.services import DEFAULT_BATCH_SIZE, DEFAULT_CLAIMS_PER_MEMBER, seed_demo


class Command(BaseCommand):
    help = "Create deterministic demo data (members, claims, mail orders, demo sign-ins)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, required=True, help="People to create")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1)")
        parser.add_argument(
            "--claims-per-member",
            type=int,
            default=DEFAULT_CLAIMS_PER_MEMBER,
            help=f"Average fills per member over the two years (default "
            f"{DEFAULT_CLAIMS_PER_MEMBER}; rejects and reversals come on top)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Members per write transaction (default {DEFAULT_BATCH_SIZE})",
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="Worker processes (PostgreSQL only)"
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        members = options["members"]
        bar = tqdm(
            total=members,
            unit="member",
            unit_scale=True,
            mininterval=2.0,
            disable=options["no_progress"],
        )
        claims = 0

        def on_progress(done: int, new_claims: int) -> None:
            nonlocal claims
            claims += new_claims
            bar.update(done)
            bar.set_postfix_str(f"{claims:,} claims", refresh=False)

        try:
            summary = seed_demo(
                members=members,
                seed=options["seed"],
                claims_per_member=options["claims_per_member"],
                batch_size=options["batch_size"],
                workers=options["workers"],
                on_progress=on_progress,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from None
        finally:
            bar.close()

        if summary.already_seeded:
            self.stdout.write(
                f"already seeded: seed {summary.seed}, {summary.members:,} members; nothing to do."
            )
            return
        seconds = max(summary.seconds, 1e-9)
        self.stdout.write(
            f"seed_demo: seed {summary.seed}, {summary.members:,} members, "
            f"{summary.claims_per_member} claims/member, {summary.workers} worker(s)"
        )
        self.stdout.write(f"  {'plans (created or updated)':<28}{summary.plans:>14,}")
        for table, count in summary.rows.items():
            self.stdout.write(f"  {table:<28}{count:>14,}")
        statuses = ", ".join(f"{k} {v:,}" for k, v in summary.claim_statuses.items())
        self.stdout.write(f"  {'claims by status':<28}{statuses:>14}")
        self.stdout.write(f"  {'demo sign-ins':<28}{summary.demo_accounts:>14,}")
        claims_total = summary.rows.get("claim", 0)
        self.stdout.write(
            f"  total {summary.total_rows:,} rows in {summary.seconds:.1f} s: "
            f"{summary.total_rows / seconds:,.0f} rows/s, {claims_total / seconds:,.0f} claims/s"
        )
