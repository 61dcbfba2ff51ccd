"""One member dashboard view, served from its cache, taken apart: its SQL, its Redis commands and
where its Python time goes (cProfile), beside the bare view's.

    .venv/bin/python bench/dashboard_profile.py \\
        --database-url postgres://postgres@127.0.0.1:5432/rxportal_bench \\
        --redis-url redis://127.0.0.1:6379/9

Uses the first bench account ``member_pages.py`` linked (run that once first), signs it in,
views the dashboard until its entry is warm, then records one more view of each page (or
``--repeat`` views of the dashboard, profiled together: steadier on a loaded machine). Prints
every SQL statement (first 100 characters), every Redis command with its key count, and the
top of the profile by cumulative time. ``--cpu N``: first this process's CPU time per view over
N views of each (bare and hit alternated), which a loaded machine's waits do not blur.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from typing import Any

from benchlib import install_bare_view, setup_django


def record(
    client: Any, url: str, *, profile_lines: int, repeat: int = 1, sort: str = "cumulative"
) -> str:
    import redis
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    commands: list[str] = []
    original = redis.Redis.execute_command

    def counting(self: Any, *args: Any, **options: Any) -> Any:
        commands.append(f"{args[0]} ({len(args) - 1} args)")
        return original(self, *args, **options)

    profiler = cProfile.Profile()
    redis.Redis.execute_command = counting  # type: ignore[method-assign]
    try:
        with CaptureQueriesContext(connection) as queries:
            for _ in range(repeat):
                profiler.enable()
                response = client.get(url)
                profiler.disable()
    finally:
        redis.Redis.execute_command = original  # type: ignore[method-assign]
    assert response.status_code == 200, response.status_code
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(profile_lines)
    return "\n".join(
        [
            f"== {url}: {len(queries.captured_queries) / repeat:g} SQL statements, "
            f"{len(commands) / repeat:g} Redis commands per view ({repeat} views)",
            *(
                f"  SQL   {q['sql'][:100]}"
                for q in queries.captured_queries[: len(queries) // repeat]
            ),
            *(f"  Redis {command}" for command in commands[: len(commands) // repeat]),
            out.getvalue() if profile_lines else "",
        ]
    )


def cpu_ms_per_view(client: Any, urls: list[str], *, repeat: int) -> dict[str, float]:
    """This process's CPU time per view of each URL, views alternated (waits for PostgreSQL
    and Redis left out: on a loaded machine they swamp the Python work a change removes)."""
    import time

    spent = dict.fromkeys(urls, 0.0)
    for _ in range(repeat):
        for url in urls:
            start = time.process_time()
            response = client.get(url)
            spent[url] += time.process_time() - start
            assert response.status_code == 200, response.status_code
    return {url: 1000 * total / repeat for url, total in spent.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--profile-lines", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=1, help="views profiled together")
    parser.add_argument("--sort", default="cumulative", help="cumulative, tottime...")
    parser.add_argument(
        "--cpu", type=int, default=0, help="also this many views each: CPU ms per view"
    )
    args = parser.parse_args()
    setup_django(args.database_url, redis_url=args.redis_url)

    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from rxportal.members.models import Member

    settings.DEBUG = False  # CaptureQueriesContext records queries regardless
    install_bare_view()
    member = (
        Member.objects.filter(user__username__startswith="bench-")
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if member is None:
        raise SystemExit("no bench account: run bench/member_pages.py once first")
    client = Client(HTTP_HOST="localhost")
    client.force_login(member.user)
    dashboard = reverse("web:dashboard")
    for _ in range(3):  # the session's first writes, the entry, the unread count
        client.get("/bench/bare/")
        client.get(dashboard)
    if args.cpu:
        cpu = cpu_ms_per_view(client, ["/bench/bare/", dashboard], repeat=args.cpu)
        bare, hit = cpu["/bench/bare/"], cpu[dashboard]
        print(f"CPU per view over {args.cpu} each: bare {bare:.2f} ms, hit {hit:.2f} ms")
        print(f"  hit / bare CPU: {hit / bare:.2f}; throughput if CPU-bound: {bare / hit:.2f}")
    print(record(client, "/bench/bare/", profile_lines=0))
    print(
        record(
            client, dashboard, profile_lines=args.profile_lines, repeat=args.repeat, sort=args.sort
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
