"""What partitioning claims by plan year costs a COPY into claims_claim (seed_demo's and a nightly
feed's way in): the same rows into the one table (migration 0003) and into the partitioned table
(0004, where a trigger writes each claim's keys to claims_claim_key), interleaved in one run.

    .venv/bin/python bench/claims_partition_copy.py \\
        --plain-url postgres://postgres@127.0.0.1:5432/part_db_base \\
        --partitioned-url postgres://postgres@127.0.0.1:5432/part_db --rows 20000 --rounds 5

Both databases must hold the same claims (a seeded database, and a copy of it migrated to 0004).
Each round copies ``--rows`` claims (existing rows with new numbers and public ids, their service
dates spread over the years present) into each database in turn, the order alternating, inside
a transaction that is rolled back: nothing is left behind. Prints each side's median rows/s and
the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any

import psycopg

COLUMNS = (
    "public_id", "created_at", "updated_at", "claim_number", "service_date", "status",
    "reject_code", "reject_reason", "channel", "tier", "quantity", "days_supply", "total_cost",
    "plan_paid", "member_paid", "deductible_applied", "oop_applied", "drug_id", "member_id",
    "pharmacy_id", "plan_id", "prescription_id",
)  # fmt: skip


def _template_rows(url: str, count: int) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM claims_claim"  # noqa: S608 (constant columns)
            " WHERE reverses_id IS NULL ORDER BY random() LIMIT %s",
            [count],
        ).fetchall()
    return rows


def _copy_seconds(url: str, rows: list[tuple[Any, ...]], tag: str) -> float:
    number = COLUMNS.index("claim_number")
    public_id = COLUMNS.index("public_id")
    with psycopg.connect(url) as connection:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            sql = f"COPY claims_claim ({', '.join(COLUMNS)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for index, row in enumerate(rows):
                    values = list(row)
                    values[number] = f"B{tag}{index:09d}"
                    values[public_id] = uuid.uuid4()
                    copy.write_row(values)
        elapsed = time.perf_counter() - started
        connection.rollback()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain-url", required=True)
    parser.add_argument("--partitioned-url", required=True)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    rows = _template_rows(options.plain_url, options.rows)
    sides = {"one table (0003)": options.plain_url, "partitioned (0004)": options.partitioned_url}
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    for round_number in range(options.rounds):
        order = list(sides) if round_number % 2 == 0 else list(sides)[::-1]
        for name in order:
            seconds[name].append(_copy_seconds(sides[name], rows, tag=f"{round_number:02d}"))

    print(f"COPY of {len(rows):,} claims, {options.rounds} rounds, interleaved")
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    for name, median in medians.items():
        runs = ", ".join(f"{value:.2f}" for value in seconds[name])
        print(f"  {name:<20} median {median:.2f} s ({len(rows) / median:,.0f} rows/s); runs {runs}")
    plain, partitioned = medians.values()
    print(f"  partitioned / one table: {partitioned / plain:.2f}x the time")


if __name__ == "__main__":
    main()
