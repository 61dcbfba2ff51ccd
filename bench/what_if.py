"""Plan-design what-if: claims re-adjudicated per second, against a bare loop over the same rows.

    .venv/bin/python bench/what_if.py --server-url postgres://postgres@127.0.0.1:5432 \\
        --claims 100000 --markdown --max-load 3.0

Builds its own database (``--database-name``, default ``rxportal_bench_whatif``; dropped at the
end, also on failure), migrates it and writes one client with ``--claims`` paid claims over
the 12 months of the what-if window (December 2025 to November 2026, today = 2026-12-06): one
plan ($250 / $500 deductible, $3,000 / $6,000 out-of-pocket maximum, copays and coinsurance
as the test factories' standard plan), ``--members`` members in families (a third are
spouses on a subscriber's card), 300 drugs over the tiers and channels. Every claim is
priced by `pricing.engine.adjudicate` when written, family by family in date order, so the
stored amounts are what the engine charged. Then, all in this process (no HTTP):

1. **load**: `whatif.selectors.list_claim_rows` (one `values_list` query), timed cold once,
   then once per sample;
2. **re-adjudicate**: `whatif.domain.compute_what_if` under a changed design (brand copay
   $40 -> $60, deductible $250 -> $400), ``--samples`` times; claims per second from the median;
3. **bare loop**: the same rows, a loop that only adds up member cost per member and per drug
   (what the what-if does besides calling the engine), interleaved sample by sample;
4. **end to end**: `whatif.services.run_what_if` (load, re-adjudicate, progress writes,
   result saved), once;
5. a check: the unchanged design gives back exactly the stored amounts.

The issue's target: at least 50,000 claims re-adjudicated a second, 12 months of a
100,000-claim client, on PostgreSQL.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import statistics
import sys
from decimal import Decimal

from benchlib import (
    fresh_database,
    machine_description,
    require_loopback,
    setup_django,
    timed,
    wait_for_quiet_machine,
)

TARGET_PER_SECOND = 50_000
TODAY = dt.date(2026, 12, 6)
# tier, channel, days supply, cost range in dollars
FILLS = (
    ("generic", "retail_30", 30, (5, 40)),
    ("generic", "mail_90", 90, (10, 90)),
    ("preferred-brand", "retail_30", 30, (150, 600)),
    ("preferred-brand", "mail_90", 90, (400, 1500)),
    ("non-preferred-brand", "retail_30", 30, (100, 900)),
    ("specialty", "specialty", 30, (2000, 9000)),
)
COST_SHARES = (  # as tests/factories.STANDARD_COST_SHARES
    ("generic", "retail_30", Decimal("10.00"), None, None, None, False),
    ("generic", "mail_90", Decimal("20.00"), None, None, None, False),
    ("preferred-brand", "retail_30", Decimal("40.00"), None, None, None, True),
    ("preferred-brand", "mail_90", Decimal("80.00"), None, None, None, True),
    ("non-preferred-brand", "retail_30", None, Decimal("40"), Decimal("50"), Decimal("150"), True),
    ("specialty", "specialty", None, Decimal("25"), Decimal("100"), Decimal("250"), True),
)


def build_client(args: argparse.Namespace, rng: random.Random) -> int:
    from rxportal.claims.models import Claim
    from rxportal.clients.models import Client
    from rxportal.formulary.models import Drug, Formulary
    from rxportal.members.models import Member
    from rxportal.pharmacies.models import Network
    from rxportal.plans.models import CostShare, Plan
    from rxportal.plans.selectors import benefit_design_for
    from rxportal.pricing.engine import Accumulators, Channel, ClaimInput, Tier, adjudicate

    client = Client.objects.create(code="BENCH-WHATIF", name="Bench employer")
    plan = Plan.objects.create(
        client=client, code="BENCH-WHATIF-PLAN", name="Bench plan", plan_year=2026,
        rx_bin="999001", rx_pcn="BENCH", rx_group="BENCH",
        formulary=Formulary.objects.create(code="BENCH-F", name="Bench", plan_year=2026),
        network=Network.objects.create(code="BENCH-N", name="Bench network"),
        deductible_individual=Decimal("250.00"), deductible_family=Decimal("500.00"),
        oop_max_individual=Decimal("3000.00"), oop_max_family=Decimal("6000.00"),
    )  # fmt: skip
    CostShare.objects.bulk_create(
        CostShare(plan=plan, tier=tier, channel=channel, copay=copay, coinsurance_pct=pct,
                  minimum=low, maximum=high, deductible_applies=applies)
        for tier, channel, copay, pct, low, high, applies in COST_SHARES
    )  # fmt: skip
    drugs = Drug.objects.bulk_create(
        Drug(rxcui=f"W{i:06d}", name=f"Benchdrug {i}", therapeutic_class=f"Class {i % 40}")
        for i in range(300)
    )
    member_fields = dict(
        client=client, plan=plan, first_name="Bench", last_name="Member",
        date_of_birth=dt.date(1980, 1, 1), address_line="1 Main St", city="Hartford",
        state="CT", zip_code="06103", coverage_start=dt.date(2024, 1, 1),
    )  # fmt: skip
    subscribers = Member.objects.bulk_create(
        (Member(member_id=f"W{i:09d}", **member_fields) for i in range(args.members * 2 // 3)),
        batch_size=5000,
    )
    spouses = Member.objects.bulk_create(
        (
            Member(member_id=s.member_id, person_code="02", relationship="spouse",
                   subscriber=s, **member_fields)
            for s in subscribers[: args.members - len(subscribers)]
        ),
        batch_size=5000,
    )  # fmt: skip
    families: dict[int, list[int]] = {s.pk: [s.pk] for s in subscribers}
    for spouse in spouses:
        families[spouse.subscriber_id].append(spouse.pk)  # type: ignore[index]
    people = [(family, person) for family, persons in families.items() for person in persons]

    # Draw the fills, then price them per family in date order as a PBM does.
    fills: dict[int, list[tuple[dt.date, int, int, int]]] = {family: [] for family in families}
    start = dt.date(2025, 12, 1)
    for serial in range(args.claims):
        family, person = rng.choice(people)
        day = start + dt.timedelta(days=rng.randint(0, 364))
        fills[family].append((day, serial, person, rng.randrange(len(FILLS))))
    design = benefit_design_for(Plan.objects.prefetch_related("cost_shares").get(pk=plan.pk))
    batch: list[Claim] = []
    number = 0
    for family_fills in fills.values():
        family_fills.sort()
        individual: dict[tuple[int, int], Accumulators] = {}
        shared: dict[int, Accumulators] = {}
        for day, _serial, person, fill in family_fills:
            tier, channel, days, (low, high) = FILLS[fill]
            drug = drugs[rng.randrange(len(drugs))]
            cost = Decimal(rng.randint(low * 100, high * 100)) / 100
            ind = individual.get((person, day.year), Accumulators())
            fam = shared.get(day.year, Accumulators())
            result = adjudicate(
                design,
                Accumulators(ind.deductible_met, ind.oop_met, fam.deductible_met, fam.oop_met),
                ClaimInput(Tier(tier), cost, days, Channel(channel)),
                explain=False,
            )
            if result.member_pays:
                d, o = result.deductible_applied, result.oop_applied
                individual[(person, day.year)] = Accumulators(
                    ind.deductible_met + d, ind.oop_met + o
                )
                shared[day.year] = Accumulators(fam.deductible_met + d, fam.oop_met + o)
            number += 1
            batch.append(
                Claim(
                    claim_number=f"W{number:012d}", member_id=person, plan_id=plan.pk,
                    drug_id=drug.pk, service_date=day, status="paid", channel=channel, tier=tier,
                    quantity=Decimal(days), days_supply=days, total_cost=result.total_cost,
                    plan_paid=result.plan_pays, member_paid=result.member_pays,
                    deductible_applied=result.deductible_applied, oop_applied=result.oop_applied,
                )
            )  # fmt: skip
            if len(batch) >= 20_000:
                Claim.objects.bulk_create(batch, batch_size=5000)
                batch.clear()
    Claim.objects.bulk_create(batch, batch_size=5000)
    return plan.pk


def bare_loop(rows: list) -> int:  # type: ignore[type-arg]
    """What the what-if does per claim besides the engine: sums per member and per drug."""
    zero = Decimal("0.00")
    per_member: dict[int, Decimal] = {}
    per_drug: dict[int, Decimal] = {}
    total = zero
    for row in rows:
        total += row.member_paid
        per_member[row.member_key] = per_member.get(row.member_key, zero) + row.member_paid
        per_drug[row.drug_key] = per_drug.get(row.drug_key, zero) + row.member_paid
    return len(per_member) + len(per_drug)


def run(args: argparse.Namespace) -> int:
    require_loopback(args.server_url, schemes={"postgres", "postgresql"})
    with fresh_database(args.server_url, args.database_name) as database_url:
        setup_django(database_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return measure(args)


def measure(args: argparse.Namespace) -> int:
    import time

    from django.db import connection

    from rxportal.accounts.models import Role, User
    from rxportal.plans.models import Plan
    from rxportal.plans.selectors import benefit_design_for
    from rxportal.pricing.engine import Channel, Tier
    from rxportal.whatif import selectors, services
    from rxportal.whatif.design import CostShareChange, DesignChange, apply_design_change
    from rxportal.whatif.domain import compute_what_if, compute_window

    rng = random.Random(args.seed)
    started = time.monotonic()
    plan_id = build_client(args, rng)
    print(f"wrote {args.claims:,} claims in {time.monotonic() - started:.0f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plan = Plan.objects.prefetch_related("cost_shares").get(pk=plan_id)
    window = compute_window(TODAY)
    change = DesignChange(
        deductible_individual=Decimal("400.00"),
        cost_shares=(CostShareChange(Tier.PREFERRED_BRAND, Channel.RETAIL_30, copay=Decimal(60)),),
    )
    base = benefit_design_for(plan)
    design = apply_design_change(base, change)
    if args.max_load:
        wait_for_quiet_machine(args.max_load)
    load = os.getloadavg()[0]

    rows, load_ms = timed(lambda: selectors.list_claim_rows(plan=plan, window=window))
    assert len(rows) == args.claims, len(rows)
    unchanged = compute_what_if(design=base, claims=rows, window=window, member_months=1)
    assert unchanged.member_after == unchanged.member_before, "unchanged design must reproduce"
    assert unchanged.plan_after == unchanged.plan_before

    engine_ms: list[float] = []
    engine_cpu_ms: list[float] = []
    bare_ms: list[float] = []
    load_samples_ms: list[float] = []
    for _ in range(args.samples):
        _, ms = timed(lambda: selectors.list_claim_rows(plan=plan, window=window))
        load_samples_ms.append(ms)
        cpu = time.process_time()
        _, ms = timed(
            lambda: compute_what_if(design=design, claims=rows, window=window, member_months=1)
        )
        engine_cpu_ms.append((time.process_time() - cpu) * 1000)
        engine_ms.append(ms)
        _, ms = timed(lambda: bare_loop(rows))
        bare_ms.append(ms)
    if args.profile:
        print(selectors._claim_columns(plan, window).explain(analyze=True), file=sys.stderr)
        fetch_started = time.perf_counter()
        raw = list(
            selectors._claim_columns(plan, window)  # the same query, without building rows
        )
        print(f"fetch {len(raw):,} raw rows: {(time.perf_counter() - fetch_started) * 1000:.0f} ms",
              file=sys.stderr)  # fmt: skip
        profiler = cProfile.Profile()
        profiler.enable()
        compute_what_if(design=design, claims=rows, window=window, member_months=1)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
        print(out.getvalue(), file=sys.stderr)

    analyst = User.objects.create_user("bench-analyst", password=None, role=Role.ACCOUNT_TEAM)
    run_row = services.start_what_if(
        client=plan.client, plan=plan, change=change, actor=analyst, today=TODAY
    )  # eager Celery in development settings: runs on commit (autocommit here: at once)
    run_row.refresh_from_db()
    end_to_end_ms = (run_row.finished_at - run_row.started_at).total_seconds() * 1000  # type: ignore[operator]

    engine = statistics.median(engine_ms)
    cold_load_ms, load_ms = load_ms, statistics.median(load_samples_ms)
    engine_cpu = statistics.median(engine_cpu_ms)
    cpu_per_second = args.claims / (engine_cpu / 1000)
    bare = statistics.median(bare_ms)
    per_second = args.claims / (engine / 1000)
    bare_per_second = args.claims / (bare / 1000)
    lines = [
        f"claims {args.claims:,}, members {args.members:,}, 1-minute load average {load:.1f}",
        f"load rows (values_list, median):  {load_ms:8.0f} ms  (first, cold: {cold_load_ms:.0f} ms)",
        f"re-adjudicate (median of {args.samples}):    {engine:8.0f} ms  "
        f"= {per_second:,.0f} claims/s",
        f"re-adjudicate, CPU time (median):  {engine_cpu:8.0f} ms  "
        f"= {cpu_per_second:,.0f} claims per CPU-second (what a core of its own would do)",
        f"bare loop (median of {args.samples}):        {bare:8.0f} ms  "
        f"= {bare_per_second:,.0f} rows/s; re-adjudication is {engine / bare:.1f}x the bare loop",
        f"end to end (run_what_if):         {end_to_end_ms:8.0f} ms  "
        f"= {args.claims / (end_to_end_ms / 1000):,.0f} claims/s, status {run_row.status}",
        f"target >= {TARGET_PER_SECOND:,} claims/s: "
        f"{'met' if per_second >= TARGET_PER_SECOND else 'NOT met'}",
    ]
    print("\n".join(lines))
    if args.markdown:
        machine = machine_description()
        print(f"\nMachine: {machine['cpu']}, {machine['memory']}, Python {machine['python']}, "
              f"commit {machine['commit']}, load average {load:.1f}\n")  # fmt: skip
        print("| measure | ms | per second |\n|---|---|---|")
        print(
            f"| load {args.claims:,} rows (median; cold {cold_load_ms:.0f} ms) | {load_ms:.0f} | {args.claims / load_ms * 1000:,.0f} |"
        )
        print(f"| re-adjudicate (median) | {engine:.0f} | {per_second:,.0f} |")
        print(f"| re-adjudicate, CPU time (median) | {engine_cpu:.0f} | {cpu_per_second:,.0f} |")
        print(f"| bare loop (median) | {bare:.0f} | {bare_per_second:,.0f} |")
        print(f"| end to end | {end_to_end_ms:.0f} | {args.claims / end_to_end_ms * 1000:,.0f} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database-name", default="rxportal_bench_whatif")
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--max-load", type=float, default=0.0)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
