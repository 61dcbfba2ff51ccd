"""Refill reminders produced and delivered per second, against a bare bulk insert of the same rows.

    .venv/bin/python bench/notifications.py --server-url postgres://postgres@127.0.0.1:5432 \\
        --redis-url redis://127.0.0.1:6379/11 --reminders 100000 --markdown --max-load 3.0

Builds its own database (``--database-name``, default ``rxportal_bench_notify``; dropped at the
end, also on failure, unless ``--keep``), migrates it and writes one plan with ``--reminders``
refills due today: 90% on subscribers' own prescriptions (each subscriber has an account) and
10% on a minor child's (the subscriber is told), plus a fifth as many prescriptions that are
not due (on automatic refills, or filled yesterday) for the job to skip. Then:

1. **produce and deliver**: a real Celery worker (``celery -A rxportal worker``, prefork,
   ``--concurrency`` processes, development settings, Django's locmem mail backend: each
   message is built as MIME and kept in memory) on the Redis broker; this process runs the daily job
   (``prescriptions.reminders.send_refill_reminders``) as beat would, and the clock stops when
   the last of its outbox rows is delivered. Each reminder is one email and one inbox row, so
   notifications = 2 x reminders. Delivery overlaps production: each chunk's batches are
   queued as its transaction commits;
2. **bare bulk insert**: the same number of outbox rows, already rendered, inserted with
   ``bulk_create`` alone (no selection, no rendering, no delivery): the floor of writing them;
3. checks: every row sent, one email per reminder, and a second run of the job writes nothing.

The issue's goal: at least 1,000 reminders a second, produced and delivered, on this 2-core
machine. Worker, job, PostgreSQL and Redis share the machine's cores.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import secrets
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from benchlib import (
    BASE_DIR,
    fresh_database,
    machine_description,
    require_loopback,
    setup_django,
    wait_for_quiet_machine,
)

TARGET_PER_SECOND = 1_000
CELERY = str(Path(sys.executable).with_name("celery"))


def build_people(args: argparse.Namespace, today: dt.date) -> None:
    from django.contrib.auth.hashers import make_password

    from rxportal.accounts.models import User
    from rxportal.clients.models import Client
    from rxportal.formulary.models import Drug, Formulary
    from rxportal.members.models import Member
    from rxportal.pharmacies.models import Network
    from rxportal.plans.models import Plan
    from rxportal.prescriptions.models import Prescription

    client = Client.objects.create(code="BENCH-NOTIFY", name="Bench employer")
    plan = Plan.objects.create(
        client=client, code="BENCH-NOTIFY-PLAN", name="Bench plan", plan_year=today.year,
        rx_bin="999001", rx_pcn="BENCH", rx_group="BENCH",
        formulary=Formulary.objects.create(code="BENCH-F", name="Bench", plan_year=today.year),
        network=Network.objects.create(code="BENCH-N", name="Bench network"),
        deductible_individual=Decimal("250.00"), oop_max_individual=Decimal("3000.00"),
    )  # fmt: skip
    drugs = Drug.objects.bulk_create(
        Drug(rxcui=f"N{i:06d}", name=f"Benchdrug {i} 10 MG Oral Tablet") for i in range(300)
    )
    minors = args.reminders // 10
    adults = args.reminders - minors
    password = make_password(None)  # unusable: nobody signs in here
    users = User.objects.bulk_create(
        (
            User(username=f"bench{i}", email=f"bench{i}@example.org", first_name=f"Pat{i}",
                 password=password)
            for i in range(adults)
        ),
        batch_size=5000,
    )  # fmt: skip
    common = dict(
        client=client, plan=plan, last_name="Bench", address_line="1 Main St", city="Hartford",
        state="CT", zip_code="06103", coverage_start=dt.date(today.year, 1, 1),
    )  # fmt: skip
    subscribers = Member.objects.bulk_create(
        (
            Member(user=user, member_id=f"N{i:09d}", first_name=f"Pat{i}",
                   date_of_birth=dt.date(1980, 1, 1), **common)
            for i, user in enumerate(users)
        ),
        batch_size=5000,
    )  # fmt: skip
    children = Member.objects.bulk_create(
        (
            Member(member_id=s.member_id, person_code="03", relationship="child", subscriber=s,
                   first_name=f"Kid{i}", date_of_birth=today.replace(year=today.year - 8),
                   **common)
            for i, s in enumerate(subscribers[:minors])
        ),
        batch_size=5000,
    )  # fmt: skip
    written = today - dt.timedelta(days=100)

    def prescription(number: int, member: Member, **fields: object) -> Prescription:
        values: dict[str, object] = dict(
            member=member, drug=drugs[number % len(drugs)], rx_number=f"N{number:09d}",
            prescriber_name="Dr. Bench", written_on=written,
            expires_on=today + dt.timedelta(days=200), quantity=Decimal(30), days_supply=30,
            refills_authorized=5, refills_remaining=3,
            # A 30-day fill is refillable 23 days on: due between 4 days ago and in 7 days.
            last_filled_on=today - dt.timedelta(days=16 + number % 12),
        )  # fmt: skip
        values.update(fields)
        return Prescription(**values)  # type: ignore[arg-type]

    people = [*subscribers, *children]
    not_due = args.reminders // 5
    Prescription.objects.bulk_create(
        (
            *(prescription(i, member) for i, member in enumerate(people)),
            *(
                prescription(
                    len(people) + i, subscribers[i % len(subscribers)],
                    **({"auto_refill": True} if i % 2 else
                       {"last_filled_on": today - dt.timedelta(days=1)}),
                )
                for i in range(not_due)
            ),
        ),
        batch_size=5000,
    )  # fmt: skip


def start_worker(args: argparse.Namespace, database_url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RXPORTAL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="rxportal.settings.dev",
        RXPORTAL_ENV="development",
        DATABASE_URL=database_url,
        REDIS_URL=args.redis_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        RXPORTAL_CACHE_PREFIX=f"rxportal-bench-notify-{os.getpid()}",
        RXPORTAL_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [CELERY, "-A", "rxportal", "worker", "--concurrency", str(args.concurrency),
         "--loglevel", "ERROR", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr,
        start_new_session=True,
    )  # fmt: skip


def wait_for_worker(worker: subprocess.Popen[bytes]) -> None:
    from rxportal.celery import app

    deadline = time.monotonic() + 60
    while not app.control.inspect(timeout=1.0).ping():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the Celery worker did not start")


def run(args: argparse.Namespace) -> int:
    require_loopback(args.server_url, schemes={"postgres", "postgresql"})
    require_loopback(args.redis_url, schemes={"redis"})
    with fresh_database(args.server_url, args.database_name, keep=args.keep) as database_url:
        setup_django(database_url, redis_url=args.redis_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        worker = start_worker(args, database_url)
        try:
            return measure(args, worker)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)


def measure(args: argparse.Namespace, worker: subprocess.Popen[bytes]) -> int:
    from django.db import connection

    from rxportal.celery import app
    from rxportal.core import clock
    from rxportal.notifications.models import Channel, Notification, Status
    from rxportal.prescriptions.reminders import KIND, send_refill_reminders

    today = clock.today()
    started = time.monotonic()
    build_people(args, today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"wrote the people in {time.monotonic() - started:.0f} s", file=sys.stderr)
    app.control.purge()
    wait_for_worker(worker)
    if args.max_load:
        wait_for_quiet_machine(args.max_load)
    load = os.getloadavg()[0]

    # 1. Produce (this process, as beat's task would) and deliver (the worker).
    rows = Notification.objects.filter(kind=KIND)
    profiler = cProfile.Profile() if args.profile else None
    cpu = time.process_time()
    started = time.monotonic()
    if profiler:
        profiler.enable()
    run = send_refill_reminders(today=today)
    produced_s = time.monotonic() - started
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue(), file=sys.stderr)
    job_cpu_s = time.process_time() - cpu
    expected = 2 * args.reminders
    while rows.filter(status=Status.QUEUED).exists():
        if worker.poll() is not None:
            raise SystemExit("the worker died")
        time.sleep(0.05)
    total_s = time.monotonic() - started
    assert run.prescriptions_due == args.reminders, run
    assert rows.filter(status=Status.SENT).count() == expected == run.notifications_written
    assert rows.filter(channel=Channel.EMAIL).count() == args.reminders
    again = send_refill_reminders(today=today)
    assert again.notifications_written == 0, again

    # 2. The bare bulk insert of the same rows (already rendered; new keys), timed alone.
    bare_s = 0.0
    pks = list(rows.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), 10_000):
        copies = [
            Notification(
                recipient_id=row.recipient_id, to_address=row.to_address, kind="bench.bare",
                channel=row.channel, language=row.language, subject=row.subject,
                body_text=row.body_text, body_html=row.body_html, link_path=row.link_path,
                idempotency_key=f"bare:{row.idempotency_key}",
                next_attempt_at=row.next_attempt_at,
            )
            for row in Notification.objects.filter(pk__in=pks[start : start + 10_000])
        ]  # fmt: skip
        began = time.monotonic()
        Notification.objects.bulk_create(copies, batch_size=2000, ignore_conflicts=True)
        bare_s += time.monotonic() - began

    per_second = expected / total_s
    reminders_per_second = args.reminders / total_s
    bare_per_second = expected / bare_s
    lines = [
        f"reminders {args.reminders:,} ({expected:,} notifications: email + inbox), worker "
        f"concurrency {args.concurrency}, 1-minute load average {load:.1f}",
        f"produce (the job alone):  {produced_s:7.1f} s = {args.reminders / produced_s:,.0f} "
        f"reminders/s (job CPU {job_cpu_s:.1f} s)",
        f"produce and deliver:      {total_s:7.1f} s = {reminders_per_second:,.0f} reminders/s "
        f"= {per_second:,.0f} notifications/s",
        f"bare bulk insert:         {bare_s:7.1f} s = {bare_per_second:,.0f} rows/s; produce and "
        f"deliver is {bare_per_second / per_second:.1f}x slower",
        f"target >= {TARGET_PER_SECOND:,} reminders/s: "
        f"{'met' if reminders_per_second >= TARGET_PER_SECOND else 'NOT met'}",
    ]
    print("\n".join(lines))
    if args.markdown:
        machine = machine_description()
        print(f"\nMachine: {machine['cpu']}, {machine['memory']}, Python {machine['python']}, "
              f"commit {machine['commit']}, load average {load:.1f}\n")  # fmt: skip
        print("| measure | seconds | per second |\n|---|---|---|")
        print(f"| produce {args.reminders:,} reminders (job alone) | {produced_s:.1f} | "
              f"{args.reminders / produced_s:,.0f} reminders |")  # fmt: skip
        print(f"| produce and deliver {args.reminders:,} reminders | {total_s:.1f} | "
              f"{reminders_per_second:,.0f} reminders = {per_second:,.0f} notifications |")  # fmt: skip
        print(f"| bare bulk insert of the {expected:,} rows | {bare_s:.1f} | "
              f"{bare_per_second:,.0f} rows |")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--database-name", default="rxportal_bench_notify")
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", action="store_true", help="the job under cProfile")
    parser.add_argument("--max-load", type=float, default=0.0)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
