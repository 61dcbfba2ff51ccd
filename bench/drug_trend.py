"""The drug-trend dashboard page against a bare view, and the rollup refresh after a month.

    nice -n 10 .venv/bin/python bench/drug_trend.py --claims 1000000 --members 10000 \\
        --redis-url redis://127.0.0.1:6379/9 --keep --markdown
    .venv/bin/python bench/drug_trend.py --reuse --redis-url redis://127.0.0.1:6379/9 \\
        --markdown --max-load 1.0       # the pages again on the kept database

Builds its own database (``--database-name``, default ``rxportal_bench_trend``; dropped at the
end, also on failure, unless ``--keep``), migrates it, collects the static files and writes one
client with ``--claims`` claims over 24 months (one plan, ``--members`` members, 300 drugs over
every tier and channel, ~3% reversed with a reversal row and ~3% rejected, as the demo does) by
PostgreSQL COPY. Then, all in this process (Python and database, no HTTP server):

1. **full rebuild** of the client's rollups (``rebuild_claim_rollups``), once;
2. **refresh after loading a month**: one more month of claims (1/24 of ``--claims``) is
   written, then ``refresh_claim_rollups(months=[that month])`` is timed (it also recomputes
   nothing else: the month is the last of its year);
3. **pages**, ``--samples`` rounds, the calls shuffled in each round: the dashboard page for the
   month, the quarter and the plan year through the whole middleware stack
   (``django.test.Client``) as a client user whose drug-trend grant was made through the clients
   services; the bare view (session and the user's row); ``get_drug_trend`` alone for a staff
   viewer; and the client row by primary key.

``--reuse`` skips the database set-up and steps 1-2 and measures step 3 on a database a
``--keep`` run left. The issue's target: dashboard p95 <= 300 ms for a client with 1,000,000
claims, on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from benchlib import (
    format_row,
    fresh_database,
    install_bare_view,
    machine_description,
    markdown_cells,
    require_loopback,
    setup_django,
    summary,
    timed,
    wait_for_quiet_machine,
)

TARGET_P95_MS = 300.0
TIERS = (
    ("generic", False, "retail_30", 30, (5, 40)),
    ("generic", False, "mail_90", 90, (10, 90)),
    ("preferred-brand", True, "retail_30", 30, (150, 600)),
    ("non-preferred-brand", True, "retail_90", 90, (400, 1500)),
    ("specialty", True, "specialty", 30, (2000, 9000)),
)


def build_client(args: argparse.Namespace, rng: random.Random) -> tuple[int, list[int], list]:  # type: ignore[type-arg]
    from rxportal.accounts.models import Role, User
    from rxportal.clients.models import Client
    from rxportal.formulary.models import Drug, Formulary
    from rxportal.members.models import Member
    from rxportal.pharmacies.models import Network
    from rxportal.plans.models import Plan

    client = Client.objects.create(code="BENCH-TREND", name="Bench employer")
    plan = Plan.objects.create(
        client=client, code="BENCH-TREND-PLAN", name="Bench plan", plan_year=2026,
        rx_bin="999001", rx_pcn="BENCH", rx_group="BENCH",
        formulary=Formulary.objects.create(code="BENCH-F", name="Bench", plan_year=2026),
        network=Network.objects.create(code="BENCH-N", name="Bench network"),
        deductible_individual=Decimal("250.00"), oop_max_individual=Decimal("3000.00"),
    )  # fmt: skip
    drugs = Drug.objects.bulk_create(
        Drug(rxcui=f"B{i:06d}", name=f"Benchdrug {i}", therapeutic_class=f"Class {i % 40}",
             is_brand=TIERS[i % len(TIERS)][1])
        for i in range(300)
    )  # fmt: skip
    members = Member.objects.bulk_create(
        (
            Member(
                client=client, plan=plan, member_id=f"B{i:09d}", first_name="Bench",
                last_name="Member", date_of_birth=dt.date(1980, 1, 1), address_line="1 Main St",
                city="Hartford", state="CT", zip_code="06103",
                coverage_start=dt.date(2024, 1, 1),
            )
            for i in range(args.members)
        ),
        batch_size=5000,
    )  # fmt: skip
    User.objects.create_user("bench-staff", password=None, role=Role.ACCOUNT_TEAM)
    return client.pk, [m.pk for m in members], [(d.pk, i % len(TIERS)) for i, d in enumerate(drugs)]


CLAIM_COLUMNS = (
    "id", "public_id", "created_at", "updated_at", "claim_number", "member_id", "plan_id",
    "drug_id", "reverses_id", "service_date", "status", "reject_code", "reject_reason",
    "channel", "tier", "quantity", "days_supply", "total_cost", "plan_paid", "member_paid",
    "deductible_applied", "oop_applied",
)  # fmt: skip


def write_claims(
    *, count: int, months: list[dt.date], plan_id: int, members: list[int], drugs: list,  # type: ignore[type-arg]
    rng: random.Random, serial: list[int],
) -> None:  # fmt: skip
    """``count`` claims (plus a reversal row for each reversed one) by PostgreSQL COPY, 50,000
    per transaction; ids come from the claims sequence (the demo seeder's id source), so a
    reversal can point at its original in the same COPY."""
    import uuid

    from django.db import connection, transaction

    from rxportal.demo.bulk import PostgresIds

    ids = PostgresIds(connection)
    now = dt.datetime.now(dt.UTC)
    copy_sql = f"COPY claims_claim ({', '.join(CLAIM_COLUMNS)}) FROM STDIN"
    zero = Decimal("0.00")
    rows: list[tuple] = []  # type: ignore[type-arg]

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        rows.clear()

    for _ in range(count):
        serial[0] += 1
        drug_id, tier_index = rng.choice(drugs)
        tier, _brand, channel, days, (low, high) = TIERS[tier_index]
        month = rng.choice(months)
        cost = Decimal(rng.randint(low * 100, high * 100)) / 100
        member_paid = min(cost, Decimal(rng.choice((10, 20, 40, 80))))
        roll = rng.random()
        status = "rejected" if roll < 0.03 else "reversed" if roll < 0.06 else "paid"
        member_id = rng.choice(members)
        service_date = month + dt.timedelta(days=rng.randint(0, 27))
        number = f"C{serial[0]:012d}"
        pk = ids.take("claim")
        if status == "rejected":
            amounts = (zero, zero, zero, zero, zero)
        else:
            oop = member_paid if status == "paid" else zero
            amounts = (cost, cost - member_paid, member_paid, zero, oop)
        rows.append(
            (pk, uuid.UUID(int=rng.getrandbits(128), version=4), now, now, number, member_id,
             plan_id, drug_id, None, service_date, status, "", "", channel, tier, Decimal(days),
             days, *amounts)
        )  # fmt: skip
        if status == "reversed":
            rows.append(
                (ids.take("claim"), uuid.UUID(int=rng.getrandbits(128), version=4), now, now,
                 f"R{number}", member_id, plan_id, drug_id, pk, service_date, "reversed", "", "",
                 channel, tier, Decimal(days), days, cost, cost - member_paid, member_paid, zero,
                 zero)
            )  # fmt: skip
        if len(rows) >= 50_000:
            flush()
    if rows:
        flush()


def run(args: argparse.Namespace) -> int:
    require_loopback(args.server_url, schemes={"postgres", "postgresql"})
    if args.redis_url:
        require_loopback(args.redis_url, schemes={"redis"})
    if args.reuse:  # a database a --keep run left: measure the pages again, load nothing
        parts = urlsplit(args.server_url)
        setup_django(urlunsplit(parts._replace(path=f"/{args.database_name}")),
                     redis_url=args.redis_url)  # fmt: skip
        return measure(args)
    with fresh_database(args.server_url, args.database_name, keep=args.keep) as database_url:
        setup_django(database_url, redis_url=args.redis_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        # The page links its CSS through the manifest storage, as in production.
        call_command("collectstatic", interactive=False, verbosity=0)
        return measure(args)


def grant_drug_trend(client_id: int) -> object:
    """A client user with a live drug-trend grant, made through the clients services (link,
    request, approval by an account-team user), as the demo does."""
    from rxportal.accounts.models import Role, User
    from rxportal.clients import services
    from rxportal.clients.domain import Tool
    from rxportal.clients.models import Client
    from rxportal.core import clock

    client = Client.objects.get(pk=client_id)
    agent = User.objects.create_user("bench-agent", password=None, role=Role.ACCOUNT_TEAM)
    user = User.objects.create_user("bench-client", password=None, role=Role.CLIENT)
    for who in (agent, user):
        services.ensure_role_group(user=who)
    agent, user = User.objects.get(pk=agent.pk), User.objects.get(pk=user.pk)
    now = clock.now()
    services.link_user_to_client(user=user, client=client, actor=agent, method="called_contact",
                                 now=now)  # fmt: skip
    request = services.submit_access_request(requester=user, client=client, tool=Tool.DRUG_TREND,
                                             business_reason="Benchmark", now=now)  # fmt: skip
    services.decide_access_request(access_request=request, actor=agent, approve=True,
                                   reason="Benchmark", method="called_contact", now=now)  # fmt: skip
    return user


def measure(args: argparse.Namespace) -> int:
    from django.db import connection
    from django.test import Client as HttpClient

    from rxportal.accounts.models import User
    from rxportal.analytics.domain import PeriodKind, add_months
    from rxportal.analytics.selectors import get_drug_trend
    from rxportal.analytics.services import rebuild_claim_rollups, refresh_claim_rollups
    from rxportal.claims.models import Claim
    from rxportal.clients.models import Client
    from rxportal.members.models import Member
    from rxportal.plans.models import Plan

    loaded = ""
    december = dt.date(2026, 12, 1)
    if args.reuse:
        client_id = Client.objects.get(code="BENCH-TREND").pk
        plan_id = Plan.objects.get(client_id=client_id).pk
        if args.max_load:
            wait_for_quiet_machine(args.max_load)
        load_before = os.getloadavg()
    else:
        rng = random.Random(args.seed)
        client_id, members, drugs = build_client(args, rng)
        plan_id = Plan.objects.get(client_id=client_id).pk
        months = [add_months(dt.date(2025, 1, 1), i) for i in range(23)]  # Jan 2025 - Nov 2026
        serial = [0]
        started = time.monotonic()
        write_claims(count=args.claims - args.claims // 24, months=months, plan_id=plan_id,
                     members=members, drugs=drugs, rng=rng, serial=serial)  # fmt: skip
        seconds = time.monotonic() - started
        print(
            f"wrote {args.claims - args.claims // 24:,} claims in {seconds:.0f} s", file=sys.stderr
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if args.max_load:
            wait_for_quiet_machine(args.max_load)
        load_before = os.getloadavg()
        rebuild, rebuild_ms = timed(lambda: rebuild_claim_rollups(client_id=client_id))
        print(f"full rebuild in {rebuild_ms / 1000:.0f} s", file=sys.stderr)

        write_claims(count=args.claims // 24, months=[december], plan_id=plan_id, members=members,
                     drugs=drugs, rng=rng, serial=serial)  # fmt: skip
        refresh, refresh_ms = timed(
            lambda: refresh_claim_rollups(client_id=client_id, months=[december])
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        loaded = (
            f"full rebuild: {rebuild_ms:,.0f} ms ({rebuild.drug_rows:,} drug rows, "
            f"{rebuild.member_rows:,} member-month rows)\n"
            f"refresh after loading a month ({args.claims // 24:,} claims): {refresh_ms:,.0f} ms "
            f"({refresh.drug_rows:,} drug rows, {refresh.member_rows:,} member-month rows)"
        )
    claims_total = Claim.objects.filter(plan_id=plan_id).count()

    # The dashboard page, signed in as a client user with a live grant, through the whole
    # middleware stack in this process (django.test.Client, no HTTP server).
    install_bare_view()
    client_user = (
        User.objects.get(username="bench-client") if args.reuse else grant_drug_trend(client_id)
    )
    public_id = Client.objects.get(pk=client_id).public_id
    http = HttpClient(HTTP_HOST="localhost")
    http.force_login(client_user)
    page_url = f"/clients/{public_id}/tools/drug-trend/"

    def get_ok(url: str, data: dict[str, str] | None = None) -> None:
        response = http.get(url, data)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} {data}: {response.status_code}")

    viewer = User.objects.get(username="bench-staff")
    kinds = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.PLAN_YEAR)
    day = "2026-12-15"
    cases: dict[str, Callable[[], object]] = {"bare view: session + one row": lambda: get_ok(
        "/bench/bare/")}  # fmt: skip
    for kind in kinds:
        cases[f"dashboard page, {kind.value}"] = lambda kind=kind: get_ok(
            page_url, {"period": kind.value, "day": day}
        )
    for kind in kinds:
        cases[f"get_drug_trend, {kind.value}"] = lambda kind=kind: get_drug_trend(
            viewer=viewer, client_id=client_id, plan_id=None, period=kind, day=december
        )
    cases["bare: client by primary key"] = lambda: Client.objects.get(pk=client_id)
    for call in cases.values():  # warm-up
        for _ in range(3):
            call()
    samples: dict[str, list[float]] = {label: [] for label in cases}
    order = list(cases.items())
    shuffle = random.Random(args.seed + 1)
    for _ in range(args.samples):
        shuffle.shuffle(order)
        for label, call in order:
            samples[label].append(timed(call)[1])
    load_after = os.getloadavg()

    print(f"claims {claims_total:,} rows (claims plus reversal rows), members "
          f"{Member.objects.filter(client_id=client_id).count():,}")  # fmt: skip
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} "
          f"{load_after[2]:.2f}")  # fmt: skip
    if loaded:
        print(loaded)
    print(f"{'':<52} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}  (ms)")
    results = {label: summary(values) for label, values in samples.items()}
    for label, values in results.items():
        print(format_row(label, values))
    pages = [label for label in cases if label.startswith("dashboard")]
    worst = max(results[label]["p95"] for label in pages)
    bare = results["bare view: session + one row"]["p95"]
    print(f"dashboard page p95 worst {worst:.1f} ms ({worst / bare:.1f}x the bare view; target "
          f"<= {TARGET_P95_MS:.0f} ms at 1,000,000 claims): "
          f"{'met' if worst <= TARGET_P95_MS else 'NOT met'}")  # fmt: skip
    if args.markdown:
        machine = machine_description()
        print(f"\nMachine: {machine['cpu']}, {machine['memory']}, Python {machine['python']}, "
              f"commit {machine['commit']}\n")  # fmt: skip
        print("| server time (ms) | p50 | p95 | p99 | mean | p95 / bare view |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, values in results.items():
            print(f"| {label} | {markdown_cells(values)} | {values['p95'] / bare:.1f}x |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database-name", default="rxportal_bench_trend")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--max-load", type=float, default=0.0)
    parser.add_argument(
        "--redis-url", default="", help="sessions and cache in Redis, as in production"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the pages on a database --keep left"
    )
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
