"""What one audit event costs the request: inline chaining against a deferred INSERT.

    .venv/bin/python bench/audit_append.py --server-url postgres://postgres@127.0.0.1:5432 \\
        --events 2000 --markdown

Builds its own database (``rxportal_bench_audit``, dropped at the end), migrates it, then in one
run, interleaved in rounds so a noisy neighbour hurts every variant alike:

1. **bare insert**: one ``INSERT`` of a one-column row (``django_migrations``-sized work), the
   floor of any write;
2. **inline**: ``record_event`` with ``RXPORTAL_AUDIT_APPEND = "inline"`` (savepoint, chain lock,
   read of the head, HMAC, insert, release);
3. **deferred**: ``record_event`` with ``"deferred"`` (one insert into the pending table);
4. **seal**: ``seal_pending_events`` over everything the deferred variant left, in events/s.

Each event is recorded in its own transaction, as a request with ``ATOMIC_REQUESTS`` off does.
"""

from __future__ import annotations

import argparse
import time

from benchlib import (
    fresh_database,
    machine_description,
    require_loopback,
    setup_django,
    summary,
    timed,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database-name", default="rxportal_bench_audit")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    require_loopback(args.server_url, schemes={"postgres", "postgresql"})

    with fresh_database(args.server_url, args.database_name) as url:
        setup_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import override_settings

    from rxportal.audit.models import AuditEvent
    from rxportal.audit.services import Outcome, record_event, seal_pending_events

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_bare (id bigserial PRIMARY KEY, n int)")

    def bare() -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_bare (n) VALUES (1)")

    def event() -> None:
        record_event(action="bench.page.viewed", outcome=Outcome.SUCCESS, details={"n": 1})

    timings: dict[str, list[float]] = {"bare insert": [], "inline": [], "deferred": []}
    rounds, per_round = 20, max(1, args.events // 20)
    for _ in range(rounds):
        for _ in range(per_round):
            timings["bare insert"].append(timed(bare)[1])
        with override_settings(RXPORTAL_AUDIT_APPEND="inline"):
            for _ in range(per_round):
                timings["inline"].append(timed(event)[1])
        with override_settings(RXPORTAL_AUDIT_APPEND="deferred"):
            for _ in range(per_round):
                timings["deferred"].append(timed(event)[1])

    started = time.perf_counter()
    sealed = seal_pending_events()
    seal_seconds = time.perf_counter() - started
    assert sealed == len(timings["deferred"])
    assert AuditEvent.objects.count() == len(timings["inline"]) + sealed

    floor = summary(timings["bare insert"])["mean"]
    machine = machine_description()
    if args.markdown:
        print(
            f"Machine: {machine['cpu']}, {machine['memory']}, Python {machine['python']}, "
            f"commit {machine['commit']}"
        )
        print("\n| variant | p50 ms | p95 ms | mean ms | mean / bare insert |")
        print("|---|---|---|---|---|")
    for label, values in timings.items():
        s = summary(values)
        if args.markdown:
            print(
                f"| {label} | {s['p50']:.3f} | {s['p95']:.3f} | {s['mean']:.3f} | "
                f"{s['mean'] / floor:.2f}x |"
            )
        else:
            print(
                f"{label:<12} p50 {s['p50']:.3f} ms  p95 {s['p95']:.3f} ms  mean {s['mean']:.3f} ms"
            )
    print(
        f"\nseal: {sealed} events in {seal_seconds:.2f} s = {sealed / seal_seconds:,.0f} events/s"
    )


if __name__ == "__main__":
    main()
