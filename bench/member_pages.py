"""Member pages on a national-size database, each against a bare Django view, in one run.

    .venv/bin/python bench/member_pages.py \\
        --database-url postgres://postgres@127.0.0.1:5432/rxportal_bench \\
        --redis-url redis://127.0.0.1:6379/9 --markdown

Needs a PostgreSQL database seeded by ``seed_demo`` (10 million claims or more for the issue's
figures) and ``generate_pharmacies --count 70000``. Before timing, it links ``--members`` randomly
chosen subscribers (seeded) to user accounts named ``bench-<public id>`` (created once, reused on
later runs, no password) and signs each in with ``Client.force_login``: the only writes, besides
the audit events the member pages write as they would in production.

Every request goes through the whole Django stack (all middleware, the session in Redis when
``--redis-url`` is given, as in production) with ``django.test.Client`` in this process: server
time without the HTTP server. Sample by sample, interleaved so every page sees the same machine
load, for one member at a time, in a shuffled order each round:

- the bare view: reads the session and one row (the signed-in user), returns a few bytes;
- the dashboard, cold then warm: the member's record-version number is bumped first (what any
  write to their records does, ``core.record_versions``), so the first view is a cache miss
  (reads and renders everything) and the view right after it a hit (the per-viewer entry);
- the claims history page (first page, this plan year) and the next (older) page by its cursor;
- drug suggestions for a name typed with one typo;
- the nearest 20 pharmacies within 25 miles of the member's ZIP (the finder's selector).

Prints p50 / p95 / p99 / mean, each page's p95 against the bare view's, the claims page's p95 by
how many claims the member can see (flat as claims grow), the dashboard's throughput (requests per
second of one worker, from the mean) as a share of the bare view's, for hits and misses apart,
and the share of hits the whole needs to reach the target, and the targets.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from dataclasses import dataclass
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

TARGET_CLAIMS_P95_MS = 25.0
TARGET_SUGGEST_P95_MS = 20.0
TARGET_PHARMACIES_P95_MS = 10.0
TARGET_DASHBOARD_THROUGHPUT_SHARE = 0.5
BENCH_USERNAME_PREFIX = "bench-"
_OLDER_LINK_RE = re.compile(
    r'<a[^>]*rel="next"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*rel="next"'
)


@dataclass
class BenchMember:
    client: Any
    member_pk: int
    zip_code: str
    visible_claims: int


def prepare_members(count: int, seed: int) -> list[BenchMember]:
    """Link ``count`` random subscribers with claims to bench users and sign each in."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test import Client

    from rxportal.claims.models import Claim
    from rxportal.members.models import Member
    from rxportal.members.selectors import list_family_members_visible_to

    user_model = get_user_model()
    linked = list(
        Member.objects.filter(user__username__startswith=BENCH_USERNAME_PREFIX)
        .select_related("user")
        .order_by("pk")
    )
    if len(linked) < count:
        candidates = list(
            Member.objects.filter(subscriber__isnull=True, user__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        chosen = random.Random(seed).sample(candidates, count - len(linked))
        with transaction.atomic():
            for member in Member.objects.filter(pk__in=chosen):
                user = user_model.objects.create_user(  # type: ignore[attr-defined]
                    username=f"{BENCH_USERNAME_PREFIX}{member.public_id.hex[:12]}",
                    password=None,
                    role="member",
                )
                member.user = user
                member.save(update_fields=["user", "updated_at"])
        linked = list(
            Member.objects.filter(user__username__startswith=BENCH_USERNAME_PREFIX)
            .select_related("user")
            .order_by("pk")
        )
    members = []
    for member in linked[:count]:
        client = Client(HTTP_HOST="localhost")
        client.force_login(member.user)
        # Each Client builds its own handler (and loads the middleware, WhiteNoise's file
        # scan included) on its first request: do that now, not inside a timed sample.
        get_ok(client, "/bench/bare/")
        visible = list_family_members_visible_to(viewer=member.user)
        members.append(
            BenchMember(
                client=client,
                member_pk=member.pk,
                zip_code=member.zip_code[:5],
                visible_claims=Claim.objects.filter(member__in=visible).count(),
            )
        )
    return members


def typo_queries(count: int, seed: int) -> list[str]:
    """Real ingredient names, shortened to what someone types, with one typo each."""
    from rxportal.formulary.models import Drug

    names = sorted(
        {
            word
            for ingredient in Drug.objects.exclude(ingredient="").values_list(
                "ingredient", flat=True
            )
            if len(word := ingredient.split()[0].lower()) >= 6 and word.isalpha()
        }
    )
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        word = rng.choice(names)[: rng.randint(6, 10)]
        at = rng.randrange(1, len(word) - 1)
        match rng.randrange(3):
            case 0:  # two letters swapped
                word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
            case 1:  # a letter left out
                word = word[:at] + word[at + 1 :]
            case _:  # a wrong letter
                word = word[:at] + rng.choice("aeioursnt") + word[at + 1 :]
        queries.append(word)
    return queries


def get_ok(client: Any, url: str, data: dict[str, str] | None = None) -> Any:
    response = client.get(url, data)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} {data or ''} answered {response.status_code}")
    return response


def older_page_url(html: str) -> str | None:
    match = _OLDER_LINK_RE.search(html)
    if match is None:
        return None
    return (match.group(1) or match.group(2)).replace("&amp;", "&")


def run(args: argparse.Namespace) -> int:
    settings_given = dict(pair.split("=", 1) for pair in args.setting)
    setup_django(args.database_url, redis_url=args.redis_url, extra_env=settings_given)

    import django
    import psycopg
    from django.db import connection
    from django.urls import reverse

    from rxportal.claims.models import Claim
    from rxportal.core.record_versions import bump_member_records
    from rxportal.pharmacies.models import Network, Pharmacy, ZipCentroid
    from rxportal.pharmacies.selectors import list_nearby_pharmacies
    from rxportal.pharmacies.services import NATIONAL_NETWORK_CODE

    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark is for PostgreSQL")
    claims_total = Claim.objects.count()
    pharmacies_total = Pharmacy.objects.count()
    if claims_total < args.min_claims or pharmacies_total < args.min_pharmacies:
        raise SystemExit(
            f"{claims_total:,} claims and {pharmacies_total:,} pharmacies (need "
            f"{args.min_claims:,} and {args.min_pharmacies:,}): seed_demo --members 100000 and "
            "generate_pharmacies --count 70000 first"
        )
    install_bare_view()
    members = prepare_members(args.members, args.seed)
    queries = typo_queries(args.samples, args.seed)
    network = Network.objects.get(code=NATIONAL_NETWORK_CODE)
    points = {
        z: (lat, lon)
        for z, lat, lon in ZipCentroid.objects.filter(
            zip_code__in={m.zip_code for m in members}
        ).values_list("zip_code", "latitude", "longitude")
    }
    bare_url = "/bench/bare/"
    dashboard_url = reverse("web:dashboard")
    claims_url = reverse("claims:list")
    suggest_url = reverse("formulary:suggest")

    def nearest(member: BenchMember) -> int:
        latitude, longitude = points.get(member.zip_code, (41.76, -72.67))
        found = list_nearby_pharmacies(
            latitude=latitude, longitude=longitude, radius_miles=25, network=network, limit=20
        )
        return len(found)

    rng = random.Random(args.seed)
    order = [rng.choice(members) for _ in range(args.samples + args.warmup)]
    for member, query in zip(order[: args.warmup], queries, strict=False):
        get_ok(member.client, bare_url)
        get_ok(member.client, dashboard_url)
        if not args.dashboard_only:
            get_ok(member.client, claims_url)
            get_ok(member.client, suggest_url, {"q": query})
            nearest(member)

    if args.max_load:
        wait_for_quiet_machine(args.max_load)
    load_before = os.getloadavg()
    started = time.monotonic()
    times: dict[str, list[float]] = {
        key: []
        for key in (
            "bare",
            "dashboard_hit",
            "dashboard_miss",
            "claims",
            "claims_older",
            "suggest",
            "pharmacies",
        )
    }
    claims_by_member: list[tuple[int, float]] = []
    for member, query in zip(order[args.warmup :], queries, strict=True):
        client = member.client

        def claims_pages(c: Any = client, m: BenchMember = member) -> None:
            response, took = timed(lambda: get_ok(c, claims_url))
            times["claims"].append(took)
            claims_by_member.append((m.visible_claims, took))
            older = older_page_url(response.content.decode())
            if older and older.startswith("?"):
                older = claims_url + older
            if older:
                times["claims_older"].append(timed(lambda: get_ok(c, older))[1])

        def dashboard_cold_then_warm(c: Any = client, m: BenchMember = member) -> None:
            bump_member_records([m.member_pk])  # untimed: the write that makes the entry stale
            times["dashboard_miss"].append(timed(lambda: get_ok(c, dashboard_url))[1])
            times["dashboard_hit"].append(timed(lambda: get_ok(c, dashboard_url))[1])

        steps = [
            lambda c=client: times["bare"].append(timed(lambda: get_ok(c, bare_url))[1]),
            dashboard_cold_then_warm,
        ]
        if not args.dashboard_only:
            steps += [
                claims_pages,
                lambda c=client, q=query: times["suggest"].append(
                    timed(lambda: get_ok(c, suggest_url, {"q": q}))[1]
                ),
                lambda m=member: times["pharmacies"].append(timed(lambda: nearest(m))[1]),
            ]
        # A different order each round: the once-a-minute session writes (activity, time-out
        # clock) land on whichever request comes first, so no page takes them all.
        rng.shuffle(steps)
        for step in steps:
            step()
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    stats = {key: summary(values) for key, values in times.items() if values}
    bare = stats["bare"]
    by_size = sorted(claims_by_member)
    third = len(by_size) // 3
    terciles = [by_size[:third], by_size[third : 2 * third], by_size[2 * third :]]
    tercile_rows = [
        (group[0][0], group[-1][0], summary([took for _, took in group]))
        for group in terciles
        if group
    ]
    hit, miss = stats["dashboard_hit"]["mean"], stats["dashboard_miss"]["mean"]
    shares = {"hit": bare["mean"] / hit, "miss": bare["mean"] / miss}
    # The share of views that must be hits for the mean view to cost at most bare / target.
    affordable = bare["mean"] / TARGET_DASHBOARD_THROUGHPUT_SHARE
    hits_needed = (miss - affordable) / (miss - hit) if miss > hit else float("inf")
    targets = [
        (name, stats[key]["p95"], target)
        for name, key, target in (
            ("claims page p95", "claims", TARGET_CLAIMS_P95_MS),
            ("drug suggestions p95", "suggest", TARGET_SUGGEST_P95_MS),
            ("nearest 20 pharmacies p95", "pharmacies", TARGET_PHARMACIES_P95_MS),
        )
        if key in stats
    ]
    labels = {
        "bare": "bare view: session + one row",
        "dashboard_hit": "dashboard, cache hit",
        "dashboard_miss": "dashboard, cache miss (record bumped)",
        "claims": "claims history, first page",
        "claims_older": "claims history, older page (cursor)",
        "suggest": "drug suggestions (one typo)",
        "pharmacies": "nearest 20 pharmacies (selector)",
    }
    machine = machine_description()
    lines = [
        f"database: {claims_total:,} claims, {pharmacies_total:,} pharmacies; "
        f"{len(members)} signed-in members, {args.samples} samples, seed {args.seed}",
        "",
        f"{'server time (ms)':<52} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}",
        *(format_row(labels[key], stats[key]) for key in labels if key in stats),
        "",
        *(
            f"p95 {labels[key]} / bare: {stats[key]['p95'] / bare['p95']:.1f}x"
            for key in labels
            if key in stats and key != "bare"
        ),
        "",
        *(
            [
                "claims page by claims the member can see (flat as claims grow):",
                *(
                    format_row(f"  {low:,}-{high:,} claims", values)
                    for low, high, values in tercile_rows
                ),
                "",
            ]
            if tercile_rows
            else []
        ),
        *(
            f"dashboard throughput, cache {kind}: {1000 / stats['dashboard_' + kind]['mean']:.0f}/s"
            f" vs bare {1000 / bare['mean']:.0f}/s per worker = {share:.2f} of the bare view "
            f"(target >= {TARGET_DASHBOARD_THROUGHPUT_SHARE:.2f}): "
            + ("met" if share >= TARGET_DASHBOARD_THROUGHPUT_SHARE else "NOT met")
            for kind, share in shares.items()
        ),
        "dashboard overall: "
        + (
            "met at any mix of hits and misses"
            if hits_needed <= 0
            else f"met when at least {hits_needed:.0%} of views are hits"
            if hits_needed <= 1
            else "NOT met even when every view is a hit"
        ),
        *(
            f"{name} <= {target:.0f} ms: {'met' if value <= target else 'NOT met'} ({value:.2f} ms)"
            for name, value, target in targets
        ),
        f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}; {elapsed:.1f} s",
        f"machine: {machine['cpu']}, {machine['memory']} RAM; PostgreSQL {server_version}; "
        f"Python {machine['python']}, Django {django.get_version()}, psycopg {psycopg.__version__}"
        f"; sessions {'Redis' if args.redis_url else 'database'}; commit {machine['commit']}",
    ]
    print("\n".join(lines))
    if args.markdown:
        rows = [
            "| server time (ms) | p50 | p95 | p99 | mean | p95 / bare |",
            "|---|---:|---:|---:|---:|---:|",
            *(
                f"| {labels[key]} | {markdown_cells(stats[key])} | "
                f"{stats[key]['p95'] / bare['p95']:.1f}× |"
                for key in labels
                if key in stats
            ),
            "",
            "| dashboard | mean (ms) | throughput / bare |",
            "|---|---:|---:|",
            *(
                f"| cache {kind} | {stats['dashboard_' + kind]['mean']:.2f} | {share:.2f} |"
                for kind, share in shares.items()
            ),
        ]
        if tercile_rows:
            rows += [
                "",
                "| claims page, members who see | p50 | p95 | p99 | mean |",
                "|---|---:|---:|---:|---:|",
                *(
                    f"| {low:,}–{high:,} claims | {markdown_cells(values)} |"
                    for low, high, values in tercile_rows
                ),
            ]
        print("\n" + "\n".join(rows))
    met = all(value <= target for _, value, target in targets)
    return 0 if met and min(shares.values()) >= TARGET_DASHBOARD_THROUGHPUT_SHARE else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres:// URL on 127.0.0.1")
    parser.add_argument("--redis-url", default="", help="redis:// URL: sessions and cache there")
    parser.add_argument("--members", type=int, default=200, help="signed-in members to sample")
    parser.add_argument("--samples", type=int, default=1000, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=100, help="untimed rounds first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-claims", type=int, default=10_000_000)
    parser.add_argument("--min-pharmacies", type=int, default=70_000)
    parser.add_argument("--max-load", type=float, default=0, help="wait for a quieter machine")
    parser.add_argument("--markdown", action="store_true", help="also print a docs/ block")
    parser.add_argument(
        "--dashboard-only", action="store_true", help="time the bare view and the dashboard only"
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="RXPORTAL_NAME=VALUE",
        help="a portal setting for this run (repeatable), e.g. RXPORTAL_AUDIT_ASYNC_COMMIT=0",
    )
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
