"""The claims history three ways, in one run: the HTML page, the JSON API and FHIR.

    .venv/bin/python bench/api_reads.py \\
        --database-url postgres://postgres@127.0.0.1:5432/rxportal_bench \\
        --redis-url redis://127.0.0.1:6379/9 --markdown

Needs a PostgreSQL database seeded by ``seed_demo``. It links ``--members`` randomly chosen
subscribers to ``bench-<public id>`` users as bench/member_pages.py does (created once, reused),
signs each in with ``Client.force_login`` for the page, records their consent to the
``bench-api`` application (as the consent screen does) and gives each a new access token of it
(all read scopes) for the APIs.

Every request goes through the whole Django stack with ``django.test.Client`` in this process
(server time, no HTTP server), interleaved and shuffled each round so every edge sees the same
machine load:

- the bare view (session and one row), the baseline;
- the HTML claims page, first page (``/claims/``);
- ``GET /api/v1/claims`` (first page) and its next page by ``next_cursor``;
- ``GET /fhir/R4/ExplanationOfBenefit?patient=<id>`` (first page) and its Bundle ``next`` page.

Prints p50 / p95 / p99 / mean, each p95 against the bare view's and the HTML page's, and each
edge's requests per second for one worker (from the mean). Every edge audits its PHI read, so
every sample writes one audit event, as in production.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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
from member_pages import prepare_members

BENCH_APPLICATION = "bench-api"
BENCH_SCOPES = "openid launch/patient patient/*.read"


@dataclass
class ApiMember:
    client: Any
    member_public_id: str
    headers: dict[str, str]


def with_tokens(members: list[Any]) -> list[ApiMember]:
    """An access token per bench member (stored as django-oauth-toolkit stores one)."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from rxportal.connected_apps.services import grant_consent
    from rxportal.members.models import Member

    application, _ = Application.objects.get_or_create(
        name=BENCH_APPLICATION,
        defaults={
            "client_id": BENCH_APPLICATION,
            "client_type": Application.CLIENT_PUBLIC,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": "https://bench.invalid/callback",
        },
    )
    result = []
    for bench in members:
        member = Member.objects.select_related("user").get(pk=bench.member_pk)
        # As after the consent screen: a token is honoured only while the member's consent
        # to the app stands (connected_apps.bearer).
        grant_consent(
            user=member.user, application=application, patient=member, scopes=BENCH_SCOPES.split()
        )
        token = secrets.token_urlsafe(32)
        AccessToken.objects.create(
            user=member.user,
            application=application,
            token=token,
            scope=BENCH_SCOPES,
            expires=timezone.now() + dt.timedelta(hours=2),
        )
        result.append(
            ApiMember(
                client=bench.client,
                member_public_id=str(member.public_id),
                headers={"HTTP_AUTHORIZATION": f"Bearer {token}"},
            )
        )
    return result


def get_ok(client: Any, url: str, **headers: str) -> Any:
    response = client.get(url, **headers)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    return response


def run(args: argparse.Namespace) -> int:
    setup_django(args.database_url, redis_url=args.redis_url)

    import django
    from django.conf import settings
    from django.db import connection

    # One token makes far more than the API's 120 requests a minute here: every request is
    # still counted (the limiter's cache operation is part of what is measured), none refused.
    settings.RXPORTAL_API_RATE_LIMIT_PER_MINUTE = 10**9

    from rxportal.claims.models import Claim

    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark is for PostgreSQL")
    claims_total = Claim.objects.count()
    install_bare_view()
    members = with_tokens(prepare_members(args.members, args.seed))
    urls = {
        "bare": lambda m: "/bench/bare/",
        "html": lambda m: "/claims/",
        "api": lambda m: "/api/v1/claims",
        "fhir": lambda m: f"/fhir/R4/ExplanationOfBenefit?patient={m.member_public_id}",
    }

    def api_pages(m: ApiMember) -> tuple[float, float | None]:
        response, took = timed(lambda: get_ok(m.client, urls["api"](m), **m.headers))
        cursor = response.json().get("next_cursor")
        if not cursor:
            return took, None
        nxt = f"{urls['api'](m)}?cursor={cursor}"
        return took, timed(lambda: get_ok(m.client, nxt, **m.headers))[1]

    def fhir_pages(m: ApiMember) -> tuple[float, float | None]:
        response, took = timed(lambda: get_ok(m.client, urls["fhir"](m), **m.headers))
        links = {link["relation"]: link["url"] for link in response.json().get("link", [])}
        if "next" not in links:
            return took, None
        parts = urlsplit(links["next"])
        nxt = f"{parts.path}?{parts.query}"
        return took, timed(lambda: get_ok(m.client, nxt, **m.headers))[1]

    rng = random.Random(args.seed)
    order = [rng.choice(members) for _ in range(args.samples + args.warmup)]
    for member in order[: args.warmup]:
        get_ok(member.client, urls["bare"](member))
        get_ok(member.client, urls["html"](member))
        api_pages(member)
        fhir_pages(member)

    if args.max_load:
        wait_for_quiet_machine(args.max_load)
    load_before = os.getloadavg()
    started = time.monotonic()
    keys = ("bare", "html", "api", "api_next", "fhir", "fhir_next")
    times: dict[str, list[float]] = {key: [] for key in keys}

    def record(first: str, pair: tuple[float, float | None]) -> None:
        times[first].append(pair[0])
        if pair[1] is not None:
            times[f"{first}_next"].append(pair[1])

    for member in order[args.warmup :]:
        steps = [
            lambda m=member: times["bare"].append(
                timed(lambda: get_ok(m.client, "/bench/bare/"))[1]
            ),
            lambda m=member: times["html"].append(timed(lambda: get_ok(m.client, "/claims/"))[1]),
            lambda m=member: record("api", api_pages(m)),
            lambda m=member: record("fhir", fhir_pages(m)),
        ]
        rng.shuffle(steps)
        for step in steps:
            step()
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()

    stats = {key: summary(values) for key, values in times.items() if values}
    bare, html = stats["bare"], stats["html"]
    labels = {
        "bare": "bare view: session + one row",
        "html": "HTML claims page, first page",
        "api": "GET /api/v1/claims, first page",
        "api_next": "GET /api/v1/claims, next page (cursor)",
        "fhir": "FHIR ExplanationOfBenefit search, first page",
        "fhir_next": "FHIR ExplanationOfBenefit search, next page",
    }
    machine = machine_description()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    lines = [
        f"database: {claims_total:,} claims; {len(members)} members with sessions and tokens, "
        f"{args.samples} rounds, seed {args.seed}",
        "",
        f"{'server time (ms)':<52} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7} {'req/s':>7}",
        *(
            f"{format_row(labels[key], stats[key])} {1000 / stats[key]['mean']:>7.0f}"
            for key in labels
            if key in stats
        ),
        "",
        *(
            f"p95 {labels[key]}: {stats[key]['p95'] / bare['p95']:.1f}x bare, "
            f"{stats[key]['p95'] / html['p95']:.2f}x the HTML page; req/s "
            f"{html['mean'] / stats[key]['mean']:.2f}x the HTML page's"
            for key in labels
            if key in stats and key not in ("bare", "html")
        ),
        f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}; {elapsed:.1f} s",
        f"machine: {machine['cpu']}, {machine['memory']} RAM; PostgreSQL {server_version}; "
        f"Python {machine['python']}, Django {django.get_version()}; sessions "
        f"{'Redis' if args.redis_url else 'database'}; commit {machine['commit']}",
    ]
    print("\n".join(lines))
    if args.markdown:
        rows = [
            "| server time (ms) | p50 | p95 | p99 | mean | p95 / bare | p95 / HTML | req/s (one worker) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {labels[key]} | {markdown_cells(stats[key])} | "
                f"{stats[key]['p95'] / bare['p95']:.1f}× | {stats[key]['p95'] / html['p95']:.2f}× | "
                f"{1000 / stats[key]['mean']:.0f} |"
                for key in labels
                if key in stats
            ),
        ]
        print("\n" + "\n".join(rows))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres:// URL on 127.0.0.1")
    parser.add_argument("--redis-url", default="", help="redis:// URL: sessions and cache there")
    parser.add_argument("--members", type=int, default=200, help="members to sample")
    parser.add_argument("--samples", type=int, default=500, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=50, help="untimed rounds first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-load", type=float, default=0, help="wait for a quieter machine")
    parser.add_argument("--markdown", action="store_true", help="also print a docs/ block")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
