"""Nearest 20 pharmacies within 25 miles, against a bare primary-key read, in one run.

    .venv/bin/python bench/pharmacy_finder.py \\
        --database-url postgres://postgres@127.0.0.1:5432/rxportal_bench --markdown

Needs a PostgreSQL database on this machine with the reference data (ZIP centroids, the
RXP-NATIONAL network) and at least ``--min-pharmacies`` pharmacies (70,000 by default): run
``manage.py generate_pharmacies --count 70000 --seed 1`` there first. Read-only: it writes
nothing.

Server time, measured in this process (Python and database, no HTTP), interleaved sample by
sample so both sides see the same machine load:

1. ``list_nearby_pharmacies`` (radius 25 miles, limit 20, with the network status of
   RXP-NATIONAL, as a signed-in member sees it) at ``--samples`` ZIP centroids drawn at random
   (seeded) from the real centroid table;
2. the bare query: one pharmacy read by primary key through the ORM (``objects.get(pk=...)``);
3. the whole finder view for the demo member (form, member and network look-up, ZIP look-up,
   page and count, template), through RequestFactory (no middleware), for context.

Prints p50 / p95 / p99 / mean of each, the p95 ratio to the bare query, and the target check
(search p95 ≤ 10 ms). With ``--markdown`` also a block for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import sys
import time

from benchlib import (
    format_row,
    machine_description,
    markdown_cells,
    setup_django,
    summary,
    timed,
    wait_for_quiet_machine,
)

TARGET_P95_MS = 10.0


def run(args: argparse.Namespace) -> int:
    setup_django(args.database_url)

    import django
    import psycopg
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test import RequestFactory

    from rxportal.members.models import Member
    from rxportal.pharmacies.models import Network, NetworkPharmacy, Pharmacy, ZipCentroid
    from rxportal.pharmacies.selectors import list_nearby_pharmacies
    from rxportal.pharmacies.services import NATIONAL_NETWORK_CODE
    from rxportal.pharmacies.views import finder

    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark is for PostgreSQL")
    pharmacies = Pharmacy.objects.count()
    if pharmacies < args.min_pharmacies:
        raise SystemExit(
            f"only {pharmacies:,} pharmacies (need {args.min_pharmacies:,}): run "
            "`manage.py generate_pharmacies --count 70000 --seed 1` on this database first"
        )
    network = Network.objects.get(code=NATIONAL_NETWORK_CODE)
    memberships = NetworkPharmacy.objects.filter(network=network).count()
    centroids = list(
        ZipCentroid.objects.order_by("zip_code").values_list("zip_code", "latitude", "longitude")
    )
    pharmacy_ids = list(Pharmacy.objects.values_list("pk", flat=True))
    rng = random.Random(args.seed)
    warmup_points = rng.sample(centroids, args.warmup)
    points = rng.sample(centroids, args.samples)
    bare_ids = [rng.choice(pharmacy_ids) for _ in range(args.samples)]
    member = Member.objects.filter(user__isnull=False).select_related("user").first()
    user = member.user if member is not None and member.user is not None else AnonymousUser()
    factory = RequestFactory(HTTP_HOST="localhost")
    session_engine = importlib.import_module(settings.SESSION_ENGINE)

    def search(latitude: float, longitude: float) -> list[object]:
        return list_nearby_pharmacies(  # type: ignore[return-value]
            latitude=latitude,
            longitude=longitude,
            radius_miles=args.radius,
            network=network,
            limit=args.limit,
        )

    def bare(pk: int) -> object:
        return Pharmacy.objects.get(pk=pk)

    def page(zip_code: str) -> int:
        request = factory.get("/pharmacies/", {"location": zip_code, "radius": args.radius})
        request.user = user
        request.session = session_engine.SessionStore()  # empty: never read or saved
        response = finder(request)
        assert response.status_code == 200
        return len(response.content)

    for _, latitude, longitude in warmup_points:
        search(latitude, longitude)
    for pk in bare_ids[: args.warmup]:
        bare(pk)
    for zip_code, _, _ in warmup_points[:10]:
        page(zip_code)

    if args.max_load:
        wait_for_quiet_machine(args.max_load)
    load_before = os.getloadavg()
    started = time.monotonic()
    search_ms: list[float] = []
    bare_ms: list[float] = []
    page_ms: list[float] = []
    result_sizes: list[int] = []
    for (zip_code, latitude, longitude), pk in zip(points, bare_ids, strict=True):
        found, took = timed(lambda la=latitude, lo=longitude: search(la, lo))
        search_ms.append(took)
        result_sizes.append(len(found))
        bare_ms.append(timed(lambda pk=pk: bare(pk))[1])
        if args.pages:
            page_ms.append(timed(lambda z=zip_code: page(z))[1])
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    s, b = summary(search_ms), summary(bare_ms)
    full = sum(size == args.limit for size in result_sizes)
    lines = [
        f"pharmacies: {pharmacies:,} ({memberships:,} in {NATIONAL_NETWORK_CODE}); "
        f"{args.samples} random ZIP centroids of {len(centroids):,}, seed {args.seed}",
        f"results: {full} of {args.samples} searches found {args.limit}; "
        f"mean {statistics.fmean(result_sizes):.1f} pharmacies per search",
        "",
        f"{'server time (ms)':<44} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}",
        format_row(f"nearest {args.limit} within {args.radius} mi (selector)", s),
        format_row("bare query: one row by primary key", b),
    ]
    if page_ms:
        lines.append(format_row("finder view + template (member, no middleware)", summary(page_ms)))
    lines += [
        "",
        f"ratio search / bare: p50 {s['p50'] / b['p50']:.1f}x, p95 {s['p95'] / b['p95']:.1f}x",
        f"target: search p95 <= {TARGET_P95_MS:.0f} ms: "
        + ("met" if s["p95"] <= TARGET_P95_MS else "NOT met")
        + f" ({s['p95']:.2f} ms)",
        f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}; {elapsed:.1f} s",
    ]
    machine = machine_description()
    lines += [
        f"machine: {machine['cpu']}, {machine['memory']} RAM; PostgreSQL {server_version}; "
        f"Python {machine['python']}, Django {django.get_version()}, psycopg {psycopg.__version__}"
        f"; commit {machine['commit']}",
    ]
    print("\n".join(lines))
    if args.markdown:
        print("\n" + markdown(args, s, b, summary(page_ms) if page_ms else None))
    return 0 if s["p95"] <= TARGET_P95_MS else 1


def markdown(
    args: argparse.Namespace,
    search: dict[str, float],
    bare: dict[str, float],
    page: dict[str, float] | None,
) -> str:
    rows = [
        "| server time (ms) | p50 | p95 | p99 | mean |",
        "|---|---:|---:|---:|---:|",
        f"| nearest {args.limit} within {args.radius} mi (`list_nearby_pharmacies`) | "
        f"{markdown_cells(search)} |",
        f"| bare query: one pharmacy by primary key | {markdown_cells(bare)} |",
    ]
    if page is not None:
        rows.append(f"| finder view + template, member (RequestFactory) | {markdown_cells(page)} |")
    rows.append(
        f"\nRatio search / bare: p50 {search['p50'] / bare['p50']:.1f}×, "
        f"p95 {search['p95'] / bare['p95']:.1f}×."
    )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres:// URL on 127.0.0.1")
    parser.add_argument("--samples", type=int, default=500, help="ZIP centroids to search at")
    parser.add_argument("--warmup", type=int, default=50, help="untimed searches first")
    parser.add_argument("--seed", type=int, default=1, help="which centroids (default 1)")
    parser.add_argument("--radius", type=int, default=25, help="miles (default 25)")
    parser.add_argument("--limit", type=int, default=20, help="pharmacies per search")
    parser.add_argument("--min-pharmacies", type=int, default=70_000)
    parser.add_argument(
        "--no-pages", dest="pages", action="store_false", help="skip the view measurement"
    )
    parser.add_argument(
        "--max-load",
        type=float,
        default=0,
        help="first wait until the 1-minute load average is below this (shared machines)",
    )
    parser.add_argument("--markdown", action="store_true", help="also print a docs/ block")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
