"""Claims at 10 million: the member pages and a sponsor's plan-year query against the bare view,
on the claims table as it is in the database given (one table, or partitions by plan year).

    .venv/bin/python bench/claims_partitioned.py \\
        --database-url postgres://postgres@127.0.0.1:5432/rx10m \\
        --redis-url redis://127.0.0.1:6379/2 --markdown

Run it once before and once after ``migrate claims`` partitions the table: it changes nothing
but the bench users (``member_pages.prepare_members``: ``--members`` subscribers chosen with
``--seed``, linked to ``bench-…`` users on the first run and reused after, so both runs sample
the same people) and the audit events the member pages write, as in production.

Through the whole Django stack (``django.test.Client`` in this process, sessions in Redis when
``--redis-url`` is given), ``--samples`` rounds for one member each, the steps shuffled in each
round after ``--warmup`` untimed rounds:

- the bare view: the session and one row (the signed-in user);
- the claims history, this plan year (the page's default period);
- the claims history, the plan year before (the period filter: ``date_from`` / ``date_to``);
- the dashboard.

Then ``--report-samples`` times each (they read a plan year of a whole client: seconds, not
milliseconds), interleaved with bare views: the sponsor claims report's first query over the
last complete plan year (``list_claims_for_sponsor_report(...).count()``, what
``sponsor_tools.services.build_claims_report`` asks first) and its first chunk (the first 100
rows in report order).

Also prints whether ``claims_claim`` is partitioned (``pg_partitioned_table``) and its partitions
with their row estimates, the table's total size (indexes and TOAST, all partitions), and the
``EXPLAIN (ANALYZE, BUFFERS)`` of every ``claims_claim`` statement of one claims page of each
period: which tables (partitions) and indexes it touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchlib import (
    format_row,
    install_bare_view,
    machine_description,
    markdown_cells,
    setup_django,
    summary,
    timed,
    wait_for_quiet_machine,
)
from member_pages import BenchMember, get_ok, prepare_members

REPORT_CHUNK = 100  # rows: the SQL (scan and sort of the year), not Python, dominates
# The tables that hold the claims: the partitions, or the one table (pg_partition_tree gives
# nothing for a table that is not partitioned).
CLAIM_TABLES = (
    "SELECT relid FROM pg_partition_tree('claims_claim') WHERE isleaf "
    "UNION ALL SELECT 'claims_claim'::regclass "
    "WHERE NOT EXISTS (SELECT FROM pg_partition_tree('claims_claim'))"
)
_SCANNED_RE = re.compile(r"(?:Seq Scan|Heap Scan|(?:Index|Index Only) Scan using \S+) on (\w+)")
_INDEX_RE = re.compile(r"(?:Index|Index Only|Bitmap Index) Scan (?:using |on )(\w+)")


def describe_table() -> dict[str, Any]:
    """Is claims_claim partitioned; its partitions (row estimates); its size, all partitions."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table "
            "WHERE partrelid = 'claims_claim'::regclass)"
        )
        partitioned = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'claims_claim'::regclass ORDER BY c.relname"
        )
        partitions = cursor.fetchall()
        cursor.execute(
            f"SELECT sum(pg_total_relation_size(relid)), sum(pg_relation_size(relid)) FROM ({CLAIM_TABLES}) AS t"  # noqa: S608
        )
        total_bytes, heap_bytes = cursor.fetchone()
        # Where a partitioned table keeps its global keys unique (migration 0004), if there.
        cursor.execute(
            "SELECT coalesce(pg_total_relation_size(to_regclass('claims_claim_key')), 0)"
        )
        key_table_bytes = cursor.fetchone()[0]
    return {
        "partitioned": partitioned,
        "partitions": partitions,
        "total_bytes": int(total_bytes or 0),
        "heap_bytes": int(heap_bytes or 0),
        "key_table_bytes": int(key_table_bytes),
    }


@contextmanager
def claims_statements() -> Iterator[list[tuple[str, Any]]]:
    """Collect the SQL and parameters of every statement on claims_claim run inside."""
    from django.db import connection

    seen: list[tuple[str, Any]] = []

    def keep(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if "claims_claim" in sql and sql.lstrip().upper().startswith("SELECT"):
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        yield seen


def explain(sql: str, params: Any, *, analyze: bool = True) -> list[str]:
    from django.db import connection

    options = "ANALYZE, BUFFERS" if analyze else "COSTS"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}", params)
        return [row[0] for row in cursor.fetchall()]


def touched(plan: list[str]) -> tuple[list[str], list[str]]:
    """The claims tables (partitions) and the indexes a plan reads, in order of first use; with
    ANALYZE, only the nodes that ran (a partition the executor pruned says "never executed")."""
    text = "\n".join(line for line in plan if "never executed" not in line)
    tables = [t for t in dict.fromkeys(_SCANNED_RE.findall(text)) if t.startswith("claims_claim")]
    indexes = list(dict.fromkeys(_INDEX_RE.findall(text)))
    return tables, indexes


def plan_summary(label: str, plans: list[list[str]]) -> list[str]:
    lines = []
    for number, plan in enumerate(plans, start=1):
        tables, indexes = touched(plan)
        timing = next((line.strip() for line in plan if line.startswith("Execution Time")), "")
        lines.append(
            f"{label}, statement {number}: claims tables {', '.join(tables) or '-'}; "
            f"indexes {', '.join(indexes) or '-'}; {timing or 'not run (EXPLAIN only)'}"
        )
    return lines


def run(args: argparse.Namespace) -> int:
    setup_django(args.database_url, redis_url=args.redis_url)

    import django
    from django.db import connection
    from django.db.models import Count
    from django.urls import reverse

    from rxportal.claims.selectors import list_claims_for_sponsor_report
    from rxportal.members.models import Member

    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark is for PostgreSQL")
    # The planner's estimate: an exact count(*) of 10 million rows is a benchmark of its own.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sum(greatest(c.reltuples, 0))::bigint FROM ({CLAIM_TABLES}) AS t JOIN pg_class c ON c.oid = t.relid"  # noqa: S608
        )
        claims_estimate = int(cursor.fetchone()[0] or 0)
    if claims_estimate < args.min_claims:
        raise SystemExit(
            f"about {claims_estimate:,} claims (need {args.min_claims:,}): seed_demo first "
            "(and ANALYZE)"
        )
    table = describe_table()
    install_bare_view()
    members = prepare_members(args.members, args.seed)
    this_year = members_plan_year(members[0])
    older = (dt.date(this_year - 1, 1, 1), dt.date(this_year - 1, 12, 31))
    client_id = (
        Member.objects.values("client_id")
        .annotate(n=Count("id"))
        .order_by("-n", "client_id")
        .values_list("client_id", flat=True)
        .first()
    )
    assert client_id is not None

    def report() -> Any:
        return list_claims_for_sponsor_report(client_id=client_id, start=older[0], end=older[1])

    bare_url = "/bench/bare/"
    claims_url = reverse("claims:list")
    older_url = f"{claims_url}?date_from={older[0].isoformat()}&date_to={older[1].isoformat()}"
    dashboard_url = reverse("web:dashboard")

    # EXPLAIN first (the plans do not depend on the timing), on the member with most claims.
    largest = max(members, key=lambda m: m.visible_claims)
    plans: dict[str, list[list[str]]] = {}
    for label, url in (("claims page, this plan year", claims_url),
                       ("claims page, plan year before", older_url)):  # fmt: skip
        with claims_statements() as statements:
            get_ok(largest.client, url)
        plans[label] = [explain(sql, params) for sql, params in statements]
    report_sql, report_params = report().query.sql_with_params()
    plans["sponsor report, first chunk"] = [
        explain(f"{report_sql} LIMIT {REPORT_CHUNK}", report_params, analyze=False)
    ]
    # Django's own SQL for the report's rows, its values kept apart as parameters.
    count_sql, count_params = report().order_by().values("id").query.sql_with_params()
    count_sql = f"SELECT count(*) FROM ({count_sql}) AS report"  # noqa: S608
    plans["sponsor report, count"] = [explain(count_sql, count_params, analyze=False)]

    rng = random.Random(args.seed)
    order = [rng.choice(members) for _ in range(args.samples + args.warmup)]
    for member in order[: args.warmup]:
        for url in (bare_url, claims_url, older_url, dashboard_url):
            get_ok(member.client, url)

    if args.max_load:
        wait_for_quiet_machine(args.max_load)
    load_before = os.getloadavg()
    started = time.monotonic()
    page_keys = ("bare", "claims", "claims_older", "dashboard")
    times: dict[str, list[float]] = {
        key: [] for key in (*page_keys, "report_count", "report_chunk", "bare_beside_report")
    }
    report_rounds = {
        round(index * args.samples / max(args.report_samples, 1))
        for index in range(args.report_samples)
    }
    report_rows = 0
    for number, member in enumerate(order[args.warmup :]):
        client = member.client
        steps = [
            (key, lambda c=client, u=url: get_ok(c, u))
            for key, url in zip(
                page_keys, (bare_url, claims_url, older_url, dashboard_url), strict=True
            )
        ]
        if number in report_rounds:
            steps += [
                ("report_count", lambda: report().count()),
                ("report_chunk", lambda: len(list(report()[:REPORT_CHUNK]))),
                ("bare_beside_report", lambda c=client: get_ok(c, bare_url)),
            ]
        rng.shuffle(steps)
        for key, step in steps:
            result, took = timed(step)
            times[key].append(took)
            if key == "report_count":
                report_rows = result
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    stats = {key: summary(values) for key, values in times.items() if values}
    bare = stats["bare"]
    labels = {
        "bare": "bare view: session + one row",
        "claims": f"claims history, plan year {this_year}",
        "claims_older": f"claims history, plan year {this_year - 1} (filter)",
        "dashboard": "dashboard",
        "report_count": f"sponsor report {this_year - 1}: count",
        "report_chunk": f"sponsor report {this_year - 1}: first {REPORT_CHUNK:,} rows",
        "bare_beside_report": "bare view, in the report rounds",
    }
    machine = machine_description()
    partitions = (
        ", ".join(f"{name} ({bound}, ~{rows:,} rows)" for name, bound, rows in table["partitions"])
        or "none"
    )
    lines = [
        f"claims_claim partitioned: {'yes' if table['partitioned'] else 'no'}; "
        f"about {claims_estimate:,} claims; total size {table['total_bytes'] / 2**30:.2f} GiB "
        f"(heap {table['heap_bytes'] / 2**30:.2f} GiB), claims_claim_key "
        f"{table['key_table_bytes'] / 2**30:.2f} GiB",
        f"partitions: {partitions}",
        f"{len(members)} signed-in members, {args.samples} rounds, {args.report_samples} report "
        f"rounds (client {client_id}: {report_rows:,} claims in {this_year - 1}), seed {args.seed}",
        "",
        f"{'time (ms)':<52} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}  p95/bare mean/bare",
        *(
            f"{format_row(labels[key], stats[key])}  {stats[key]['p95'] / bare['p95']:>7.1f}x"
            f" {stats[key]['mean'] / bare['mean']:>8.1f}x"
            for key in labels
            if key in stats
        ),
        "",
        *(line for label, found in plans.items() for line in plan_summary(label, found)),
        "",
        f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}; {elapsed:.1f} s",
        f"machine: {machine['cpu']}, {machine['memory']} RAM; PostgreSQL {server_version}; "
        f"Python {machine['python']}, Django {django.get_version()}; sessions "
        f"{'Redis' if args.redis_url else 'database'}; commit {machine['commit']}",
    ]
    print("\n".join(lines))
    if args.show_plans:
        for label, found in plans.items():
            for number, plan in enumerate(found, start=1):
                print(f"\n-- {label}, statement {number}\n" + "\n".join(plan))
    if args.markdown:
        print("\n| time (ms) | p50 | p95 | p99 | mean | p95 / bare | mean / bare |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for key in labels:
            if key in stats:
                print(
                    f"| {labels[key]} | {markdown_cells(stats[key])} | "
                    f"{stats[key]['p95'] / bare['p95']:.1f}× | "
                    f"{stats[key]['mean'] / bare['mean']:.1f}× |"
                )
    return 0


def members_plan_year(member: BenchMember) -> int:
    from rxportal.members.models import Member

    return int(
        Member.objects.filter(pk=member.member_pk).values_list("plan__plan_year", flat=True)[0]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres:// URL on 127.0.0.1")
    parser.add_argument("--redis-url", default="", help="redis:// URL: sessions and cache there")
    parser.add_argument("--members", type=int, default=100, help="signed-in members to sample")
    parser.add_argument("--samples", type=int, default=400, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=50, help="untimed rounds first")
    parser.add_argument("--report-samples", type=int, default=3, help="sponsor report rounds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-claims", type=int, default=9_000_000)
    parser.add_argument("--max-load", type=float, default=0, help="wait for a quieter machine")
    parser.add_argument("--show-plans", action="store_true", help="print the EXPLAIN output")
    parser.add_argument("--markdown", action="store_true", help="also print a docs/ block")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
