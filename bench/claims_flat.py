"""The claims history and the dashboard for one family with 50 to 50,000 claims, before and after
issue 16's per-person reads, each against the bare view, interleaved in one run.

    .venv/bin/python bench/claims_flat.py --redis-url redis://127.0.0.1:6379/3 --markdown \\
        --max-load 4.0

Builds its own PostgreSQL database (``--database-name``, default ``rxportal_bench_claimsflat``;
dropped at the end, also on failure, unless ``--keep``), migrates it, collects the static files
and writes, by COPY: one plan, 60 drugs, 30 pharmacies, ``--background`` claims of 2,000 other
members (so the index holds other families too) and one family per ``--sizes`` entry (a
subscriber and two children under 18, all three seen by the subscriber), each with
that many claims spread evenly over the last ``--days`` days (default: this plan year so far,
the worst case: every claim is in the page's default period), ~3% of them rejected.

Then, in this process, ``--samples`` rounds, the requests shuffled in each round, through the
whole middleware stack (``django.test.Client``, the subscriber signed in with ``force_login``):

- the bare view (the session and the user's row);
- per family: the claims page (first page of this plan year) and the dashboard, each once with
  today's selectors ("after") and once with the selectors of ``--before-ref`` ("before": that
  commit's ``rxportal/claims/selectors.py`` loaded as a module and swapped into the views for
  the request: measurement only);
- per family, the selectors alone: the history page, the monthly totals, the recent claims
  (alone, and as a member page asks for them: the family already read in the request, only
  the selector's own time counted).

``--keep`` leaves the database; ``--reuse`` measures such a database again without building it,
so another checkout's code (``git archive`` of main, this script copied in) can be measured on
the same rows, alternately with this one.

Prints p50 / p95 / p99 / mean per row and each p95 against the bare view's p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchlib import (
    BASE_DIR,
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

TARGET_CLAIMS_P95_MS = 25.0
BEFORE_REF = "b806633"  # the commit before issue 16's per-person reads
CLAIM_COLUMNS = (
    "public_id", "created_at", "updated_at", "claim_number", "member_id", "plan_id", "drug_id",
    "pharmacy_id", "service_date", "status", "reject_code", "reject_reason", "channel", "tier",
    "quantity", "days_supply", "total_cost", "plan_paid", "member_paid", "deductible_applied",
    "oop_applied",
)  # fmt: skip


class OwnTime(float):
    """What a step measured itself (ms), leaving out its set-up: used instead of its wall time."""


def load_selectors_at(ref: str) -> ModuleType:
    """``rxportal/claims/selectors.py`` as it was at ``ref``, as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{ref}:rxportal/claims/selectors.py"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "claims_selectors_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("claims_selectors_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def selectors_of(before: ModuleType | None) -> Iterator[None]:
    """Serve the claims page and the dashboard with ``before``'s selectors (None: today's)."""
    from rxportal.claims import views as claim_views
    from rxportal.web import selectors as web_selectors

    if before is None:
        yield
        return

    def history_page(**kwargs: Any) -> Any:
        kwargs.pop("claim_count", None)  # today's view passes it; older selectors do not know it
        return before.get_claim_history_page(**kwargs)

    saved = (
        claim_views.get_claim_history_page,
        claim_views.get_claim_summary,
        web_selectors.list_recent_claims,
    )
    claim_views.get_claim_history_page = history_page
    claim_views.get_claim_summary = before.get_claim_summary
    web_selectors.list_recent_claims = before.list_recent_claims
    try:
        yield
    finally:
        (
            claim_views.get_claim_history_page,
            claim_views.get_claim_summary,
            web_selectors.list_recent_claims,
        ) = saved


def write_claims(rows: Iterator[tuple[Any, ...]]) -> None:
    from django.db import connection, transaction

    sql = f"COPY claims_claim ({', '.join(CLAIM_COLUMNS)}) FROM STDIN"
    with transaction.atomic(), connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def claim_rows(
    *, members: list[int], count: int, days: int, today: dt.date, plan_id: int,
    drugs: list[int], pharmacies: list[int], rng: random.Random, prefix: str,
) -> Iterator[tuple[Any, ...]]:  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    zero = Decimal("0.00")
    for index in range(count):
        service_date = today - dt.timedelta(days=(index * days) // max(count, 1))
        cost = Decimal(rng.randint(500, 40000)) / 100
        member_paid = min(cost, Decimal(rng.choice((10, 20, 40))))
        rejected = rng.random() < 0.03
        amounts = (
            (zero, zero, zero, zero, zero)
            if rejected
            else (cost, cost - member_paid, member_paid, zero, member_paid)
        )
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4), now, now, f"{prefix}{index:09d}",
            members[index % len(members)], plan_id, rng.choice(drugs), rng.choice(pharmacies),
            service_date, "rejected" if rejected else "paid", "75" if rejected else "",
            "", "retail_30", "generic", Decimal(30), 30, *amounts,
        )  # fmt: skip


def build(args: argparse.Namespace, today: dt.date) -> dict[int, Any]:
    """The plan, drugs, pharmacies, background claims and one family per size; the
    subscriber's user of each family by size."""
    from rxportal.accounts.models import Role, User
    from rxportal.clients.models import Client
    from rxportal.formulary.models import Drug, Formulary
    from rxportal.members.models import Member, Relationship
    from rxportal.pharmacies.models import Network, Pharmacy
    from rxportal.plans.models import Plan

    rng = random.Random(args.seed)
    client = Client.objects.create(code="BENCH-FLAT", name="Bench employer")
    plan = Plan.objects.create(
        client=client, code="BENCH-FLAT-PLAN", name="Bench plan", plan_year=today.year,
        rx_bin="999001", rx_pcn="BENCH", rx_group="BENCH",
        formulary=Formulary.objects.create(code="BENCH-F", name="Bench", plan_year=today.year),
        network=Network.objects.create(code="BENCH-N", name="Bench network"),
        deductible_individual=Decimal("250.00"), oop_max_individual=Decimal("3000.00"),
    )  # fmt: skip
    drugs = [
        d.pk
        for d in Drug.objects.bulk_create(
            Drug(rxcui=f"F{i:06d}", name=f"Benchdrug {i} 10 MG Oral Tablet") for i in range(60)
        )
    ]
    pharmacies = [
        p.pk
        for p in Pharmacy.objects.bulk_create(
            Pharmacy(license_number=f"BENCH{i:05d}", name=f"Bench Pharmacy {i}",
                     city="Hartford", state="CT", zip_code="06103")
            for i in range(30)
        )
    ]  # fmt: skip

    def member(number: str, code: str, born: dt.date, subscriber: Member | None) -> Member:
        return Member.objects.create(
            client=client, plan=plan, member_id=number, person_code=code,
            relationship=Relationship.CHILD if subscriber else Relationship.SUBSCRIBER,
            subscriber=subscriber, first_name="Bench", last_name="Member", date_of_birth=born,
            address_line="1 Main St", city="Hartford", state="CT", zip_code="06103",
            coverage_start=dt.date(today.year - 10, 1, 1),
        )  # fmt: skip

    others = Member.objects.bulk_create(
        Member(client=client, plan=plan, member_id=f"O{i:09d}", first_name="Other",
               last_name="Member", date_of_birth=dt.date(1980, 1, 1), address_line="1 Main St",
               city="Hartford", state="CT", zip_code="06103", coverage_start=dt.date(2020, 1, 1))
        for i in range(2000)
    )  # fmt: skip
    write_claims(
        claim_rows(members=[m.pk for m in others], count=args.background, days=args.days,
                   today=today, plan_id=plan.pk, drugs=drugs, pharmacies=pharmacies, rng=rng,
                   prefix="O")
    )  # fmt: skip
    users = {}
    for size in args.sizes:
        head = member(f"F{size:09d}", "01", dt.date(1980, 1, 1), None)
        family = [
            head,
            member(f"F{size:09d}", "03", today.replace(year=today.year - 8), head),
            member(f"F{size:09d}", "04", today.replace(year=today.year - 5), head),
        ]
        write_claims(
            claim_rows(members=[m.pk for m in family], count=size, days=args.days, today=today,
                       plan_id=plan.pk, drugs=drugs, pharmacies=pharmacies, rng=rng,
                       prefix=f"F{size}-")
        )  # fmt: skip
        head.user = User.objects.create_user(f"bench-flat-{size}", password=None, role=Role.MEMBER)
        head.save(update_fields=["user", "updated_at"])
        users[size] = head.user
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return users


def reused_users(args: argparse.Namespace) -> dict[int, Any]:
    """The subscribers' users of a database an earlier ``--keep`` run built with these sizes."""
    from rxportal.accounts.models import User

    return {size: User.objects.get(username=f"bench-flat-{size}") for size in args.sizes}


def get_ok(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response


def measure(args: argparse.Namespace) -> int:
    import django
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from rxportal.claims import selectors
    from rxportal.claims.domain import ClaimQuery
    from rxportal.claims.models import Claim
    from rxportal.core import clock

    today = clock.today()
    users = reused_users(args) if args.reuse else build(args, today)
    before = load_selectors_at(args.before_ref)
    install_bare_view()
    clients = {}
    for size, user in users.items():
        clients[size] = Client(HTTP_HOST="localhost")
        clients[size].force_login(user)
        get_ok(clients[size], "/bench/bare/")
    claims_url, dashboard_url = reverse("claims:list"), reverse("web:dashboard")
    in_period = {}
    steps: dict[str, Callable[[], object]] = {
        "bare": lambda: get_ok(clients[args.sizes[0]], "/bench/bare/")
    }
    for size, user in users.items():
        scope = selectors.find_claim_scope(viewer=user, today=today)
        assert scope is not None and len(scope.people) == 3
        query = ClaimQuery(period=scope.default_period)
        in_period[size] = Claim.objects.filter(
            member__in=scope.people,
            service_date__range=(query.period.start, query.period.end),
        ).count()
        client = clients[size]
        for label, module in (("before", before), ("after", None)):
            steps[f"claims {label} {size}"] = lambda c=client, m=module: _with(m, c, claims_url)
            steps[f"dashboard {label} {size}"] = lambda c=client, m=module: _with(
                m, c, dashboard_url
            )
        steps[f"page selector {size}"] = lambda s=scope, q=query: selectors.get_claim_history_page(
            scope=s, query=q
        )
        steps[f"page selector one query {size}"] = lambda s=scope, q=query: (
            selectors.get_claim_history_page(scope=s, query=q, claim_count=0)
        )
        steps[f"monthly totals before {size}"] = lambda s=scope, q=query: before.get_claim_summary(
            scope=s, query=q, today=today
        )
        steps[f"page selector before {size}"] = lambda s=scope, q=query: (
            before.get_claim_history_page(scope=s, query=q)
        )
        steps[f"monthly totals {size}"] = lambda s=scope, q=query: selectors.get_claim_summary(
            scope=s, query=q, today=today
        )
        steps[f"recent claims {size}"] = lambda u=user: selectors.list_recent_claims(
            viewer=u, limit=5, today=today
        )
        steps[f"recent claims, family read {size}"] = lambda u=user: _recent_in_page(u, today)
    rng = random.Random(args.seed)
    names = list(steps)
    for _ in range(args.warmup):
        for name in names:
            steps[name]()
    if args.profile:
        for size in (args.sizes[0], args.sizes[-1]):
            profile_page(
                clients[size], claims_url, label=f"family of {size:,}", rounds=args.profile
            )
    if args.max_load:
        wait_for_quiet_machine(args.max_load)
    load_before = os.getloadavg()
    started = time.monotonic()
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.samples):
        rng.shuffle(names)
        for name in names:
            result, elapsed = timed(steps[name])
            times[name].append(result if isinstance(result, OwnTime) else elapsed)
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    stats = {name: summary(values) for name, values in times.items()}
    bare = stats["bare"]
    machine = machine_description()
    order = ["bare"] + [
        f"{kind} {size}"
        for size in args.sizes
        for kind in (
            "claims before", "claims after", "dashboard before", "dashboard after",
            "page selector before", "page selector", "page selector one query",
            "monthly totals before", "monthly totals", "recent claims",
            "recent claims, family read",
        )
    ]  # fmt: skip
    claims_after = [stats[f"claims after {size}"]["p95"] for size in args.sizes]
    lines = [
        f"{Claim.objects.count():,} claims; families of {', '.join(f'{s:,}' for s in args.sizes)} "
        f"claims ({', '.join(f'{in_period[s]:,}' for s in args.sizes)} in this plan year); "
        f"{args.samples} samples, seed {args.seed}",
        "",
        f"{'time (ms)':<40} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}  p95/bare",
        *(
            f"{format_row(name, stats[name], width=40)}  {stats[name]['p95'] / bare['p95']:.1f}x"
            for name in order
        ),
        "",
        f"claims page p95 after, smallest to largest family: "
        f"{' / '.join(f'{v:.2f}' for v in claims_after)} ms; "
        f"<= {TARGET_CLAIMS_P95_MS:.0f} ms: "
        + ("met" if max(claims_after) <= TARGET_CLAIMS_P95_MS else "NOT met"),
        f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}; {elapsed:.1f} s",
        f"machine: {machine['cpu']}, {machine['memory']} RAM; PostgreSQL {server_version}; "
        f"Python {machine['python']}, Django {django.get_version()}; sessions "
        f"{'Redis' if args.redis_url else 'database'}; commit {machine['commit']}, before "
        f"{args.before_ref}",
    ]
    print("\n".join(lines))
    if args.markdown:
        print(
            "\n| time (ms) | p50 | p95 | p99 | mean | p95 / bare |\n|---|---:|---:|---:|---:|---:|"
        )
        for name in order:
            print(f"| {name} | {markdown_cells(stats[name])} | "
                  f"{stats[name]['p95'] / bare['p95']:.1f}× |")  # fmt: skip
    return 0 if max(claims_after) <= TARGET_CLAIMS_P95_MS else 1


def profile_page(client: Any, url: str, *, label: str, rounds: int) -> None:
    """cProfile of ``rounds`` claims-page requests, and the statements one request asks."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        get_ok(client, url)
    print(f"claims page, {label}: {len(queries)} statements")
    for query in queries:
        print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:110]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        get_ok(client, url)
    profiler.disable()
    print(f"cProfile of {rounds} requests, {label} (cumulative, top 30):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
    print(f"cProfile of {rounds} requests, {label} (own time, top 25):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)


def _recent_in_page(user: Any, today: dt.date) -> object:
    """The recent claims as a member page asks for them: the viewer's family already read in
    this request (``member_page`` reads it once, before the view)."""
    from rxportal.claims import selectors
    from rxportal.members.selectors import family_visibility_cache, list_family_members_visible_to

    with family_visibility_cache():
        list_family_members_visible_to(viewer=user, today=today)
        started = time.perf_counter_ns()
        selectors.list_recent_claims(viewer=user, limit=5, today=today)
        return OwnTime((time.perf_counter_ns() - started) / 1e6)


def _with(module: ModuleType | None, client: Any, url: str) -> object:
    with selectors_of(module):
        return get_ok(client, url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="rxportal_bench_claimsflat")
    parser.add_argument("--redis-url", default="", help="redis:// URL: sessions and cache there")
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 5_000, 50_000])
    parser.add_argument("--background", type=int, default=200_000, help="other members' claims")
    parser.add_argument("--days", type=int, default=0, help="history length (0: this plan year)")
    parser.add_argument("--before-ref", default=BEFORE_REF, help="commit of the 'before' code")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database a --keep run built (same --sizes), e.g. from another checkout",
    )
    parser.add_argument("--max-load", type=float, default=0, help="wait for a quieter machine")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many page views")
    parser.add_argument("--markdown", action="store_true", help="also print a docs/ block")
    args = parser.parse_args()
    require_loopback(args.server_url, schemes={"postgres", "postgresql"})
    if args.redis_url:
        require_loopback(args.redis_url, schemes={"redis"})
    if args.reuse:  # no fresh database: measure the one a --keep run left (never dropped here)
        parts = urlsplit(args.server_url)
        setup_django(
            urlunsplit(parts._replace(path=f"/{args.database_name}")), redis_url=args.redis_url
        )
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        return measure(args)
    with fresh_database(args.server_url, args.database_name, keep=args.keep) as database_url:
        setup_django(database_url, redis_url=args.redis_url)
        from django.core.management import call_command

        from rxportal.core import clock

        if args.days <= 0:  # this plan year so far: every claim in the page's default period
            today = clock.today()
            args.days = (today - dt.date(today.year, 1, 1)).days
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        return measure(args)


if __name__ == "__main__":
    sys.exit(main())
