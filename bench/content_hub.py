"""The content hub's home and news list for signed-in client users, against a bare view, in one run.

    .venv/bin/python bench/content_hub.py \\
        --database-url postgres://postgres@127.0.0.1:5432/rx_h5 \\
        --redis-url redis://127.0.0.1:6379/5 --markdown

Needs a PostgreSQL database with the hub seeded (``migrate`` then ``seed_hub``: both language
trees and the demo items). Before timing, it creates ``--users`` client accounts named
``bench-hub-<n>`` (once, reused on later runs, no password) in the Client group and signs each in
with ``Client.force_login``: the only writes, besides what the hub writes as it would in
production (the time of the user's last visit, for "new since your last visit").

Every request goes through the whole Django stack (all middleware, the session in Redis when
``--redis-url`` is given) with ``django.test.Client`` in this process: server time without the
HTTP server. Interleaved per round, in a shuffled order, for one user at a time:

- the bare view: reads the session and one row (the signed-in user), returns a few bytes;
- the hub's home (``/hub/``): what is new since the last visit, the latest of each kind;
- the news list (``/hub/news/``), first page.

Prints p50 / p95 / p99 / mean, each page's p95 against the bare view's, and the SQL queries each
page runs (counted once, after the warm-up).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
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

BENCH_USERNAME_PREFIX = "bench-hub-"
PAGES = {
    "bare": "/bench/bare/",
    "hub_home": "/hub/",
    "news_list": "/hub/news/",
}
LABELS = {
    "bare": "bare view: session + one row",
    "hub_home": "hub home (/hub/)",
    "news_list": "news list (/hub/news/)",
}


def prepare_users(count: int) -> list[Any]:
    """``count`` client users in the Client group, each signed in on its own test client."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from rxportal.clients.services import ensure_role_group

    user_model = get_user_model()
    clients = []
    for n in range(count):
        user, _ = user_model.objects.get_or_create(
            username=f"{BENCH_USERNAME_PREFIX}{n:03d}",
            defaults={"role": "client", "email": f"{BENCH_USERNAME_PREFIX}{n:03d}@example.com"},
        )
        ensure_role_group(user=user)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        # The first request builds the handler (middleware, WhiteNoise's scan): not timed.
        get_ok(client, PAGES["bare"])
        clients.append(client)
    return clients


def get_ok(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response


def count_queries(client: Any, url: str) -> int:
    """The page's own queries: the fewest of three requests (the once-a-minute session-activity
    write lands on whichever request comes first)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            get_ok(client, url)
        counts.append(len(captured.captured_queries))
    return min(counts)


def run(args: argparse.Namespace) -> int:
    setup_django(args.database_url, redis_url=args.redis_url)

    import django
    import psycopg
    from django.db import connection
    from wagtail.models import Page

    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark is for PostgreSQL")
    pages_total = Page.objects.count()
    if pages_total < args.min_pages:
        raise SystemExit(f"{pages_total} Wagtail pages (need {args.min_pages}): seed_hub first")
    install_bare_view()
    clients = prepare_users(args.users)

    rng = random.Random(args.seed)
    order = [rng.choice(clients) for _ in range(args.samples + args.warmup)]
    for client in order[: args.warmup]:
        for url in PAGES.values():
            get_ok(client, url)
    queries = {key: count_queries(clients[0], url) for key, url in PAGES.items()}

    if args.max_load:
        wait_for_quiet_machine(args.max_load)
    load_before = os.getloadavg()
    started = time.monotonic()
    times: dict[str, list[float]] = {key: [] for key in PAGES}
    for client in order[args.warmup :]:
        keys = list(PAGES)
        # A different order each round: the once-a-minute session writes land on whichever
        # request comes first, so no page takes them all.
        rng.shuffle(keys)
        for key in keys:
            times[key].append(timed(lambda c=client, k=key: get_ok(c, PAGES[k]))[1])
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    stats = {key: summary(values) for key, values in times.items()}
    bare = stats["bare"]
    machine = machine_description()
    lines = [
        f"database: {pages_total} Wagtail pages; {len(clients)} signed-in client users, "
        f"{args.samples} samples, seed {args.seed}",
        "",
        f"{'server time (ms)':<52} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}",
        *(format_row(LABELS[key], stats[key]) for key in PAGES),
        "",
        *(
            f"p95 {LABELS[key]} / bare: {stats[key]['p95'] / bare['p95']:.1f}x; "
            f"{queries[key]} SQL queries (bare: {queries['bare']})"
            for key in PAGES
            if key != "bare"
        ),
        "",
        f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}; {elapsed:.1f} s",
        f"machine: {machine['cpu']}, {machine['memory']} RAM; PostgreSQL {server_version}; "
        f"Python {machine['python']}, Django {django.get_version()}, psycopg {psycopg.__version__}"
        f"; sessions {'Redis' if args.redis_url else 'database'}; commit {machine['commit']}",
    ]
    print("\n".join(lines))
    if args.markdown:
        rows = [
            "| server time (ms) | p50 | p95 | p99 | mean | p95 / bare | SQL queries |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {LABELS[key]} | {markdown_cells(stats[key])} | "
                f"{stats[key]['p95'] / bare['p95']:.1f}× | {queries[key]} |"
                for key in PAGES
            ),
        ]
        print("\n" + "\n".join(rows))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres:// URL on 127.0.0.1")
    parser.add_argument("--redis-url", default="", help="redis:// URL: sessions and cache there")
    parser.add_argument("--users", type=int, default=20, help="signed-in client users to sample")
    parser.add_argument("--samples", type=int, default=500, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=50, help="untimed rounds first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-pages", type=int, default=10)
    parser.add_argument("--max-load", type=float, default=0, help="wait for a quieter machine")
    parser.add_argument("--markdown", action="store_true", help="also print a docs/ block")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
