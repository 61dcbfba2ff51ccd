"""What the claims' monthly-totals triggers (migration claims/0005) cost ``seed_demo``.

    .venv/bin/python bench/seed_trigger_cost.py --members 200 --rounds 3

Builds its own PostgreSQL database (dropped at the end unless ``--keep``), migrates it and
imports the reference data, then seeds ``--members`` demo members ``--rounds`` times with the
triggers enabled and as many times with them disabled (alternating, each seed in a transaction
that is rolled back), and prints the median time of each and the difference per claim.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from io import StringIO

from benchlib import require_loopback, setup_django
from drug_trend import fresh_database

TRIGGERS = ("claims_claim_month_totals_insert", "claims_claim_month_totals_update")


def seed_once(members: int, *, triggers: bool) -> tuple[float, int]:
    from django.db import connection, transaction

    from rxportal.claims.models import Claim, ClaimMonthTotal
    from rxportal.demo.services import seed_demo

    with transaction.atomic():
        with connection.cursor() as cursor:
            for name in TRIGGERS:
                action = "ENABLE" if triggers else "DISABLE"
                cursor.execute(f"ALTER TABLE claims_claim {action} TRIGGER {name}")
        started = time.perf_counter()
        seed_demo(members=members, seed=7)
        elapsed = time.perf_counter() - started
        claims = Claim.objects.count()
        totals = ClaimMonthTotal.objects.count()
        assert (totals > 0) == triggers, (totals, triggers)
        transaction.set_rollback(True)
    return elapsed, claims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="rxportal_bench_seedtriggers")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    require_loopback(args.server_url, schemes={"postgres", "postgresql"})
    with fresh_database(args.server_url, args.database_name, keep=args.keep) as database_url:
        setup_django(database_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("import_reference_data", no_progress=True, verbosity=0, stdout=StringIO())
        times: dict[bool, list[float]] = {True: [], False: []}
        claims = 0
        seed_once(args.members, triggers=True)  # warm-up
        for _ in range(args.rounds):
            for triggers in (False, True):
                elapsed, claims = seed_once(args.members, triggers=triggers)
                times[triggers].append(elapsed)
        without, with_ = statistics.median(times[False]), statistics.median(times[True])
        print(f"seed_demo --members {args.members}: {claims:,} claims, {args.rounds} rounds")
        print(f"without the triggers: median {without:.2f} s  {sorted(times[False])}")
        print(f"with the triggers:    median {with_:.2f} s  {sorted(times[True])}")
        print(
            f"difference: {with_ - without:+.2f} s ({(with_ / without - 1) * 100:+.1f}%), "
            f"{(with_ - without) / max(claims, 1) * 1e6:+.1f} us per claim"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
