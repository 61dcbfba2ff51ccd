"""The plan-year partitions of claims_claim on PostgreSQL (migration 0004 made the table).

One partition per calendar year of `service_date` (`claims_claim_y2026` holds 2026-01-01 up to
2027-01-01) and a DEFAULT partition for a date no partition covers, so no insert ever fails.
`ensure_claim_partitions` runs daily (beat) and from `manage.py ensure_claim_partitions`: it
creates this year's and the next years' partitions ahead of time and moves any rows that
landed in DEFAULT into a partition of their own year. Running it twice changes nothing.

On SQLite (the embedded default) claims stay an ordinary table and this does nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.utils import CursorWrapper

PARENT = "claims_claim"
DEFAULT_PARTITION = "claims_claim_default"
YEAR_PARTITION = re.compile(r"^claims_claim_y(\d{4})$")
# One maintainer at a time (two beat runs, or beat and the command): a transaction-scoped lock.
ADVISORY_LOCK_KEY = 0x636C61696D73  # "claims"
# Creating a partition briefly locks the DEFAULT partition, and attaching it the parent against
# schema changes: rather than queue every claim read behind a long report, give up and try again
# tomorrow (the partition is made a year ahead, so a missed day costs nothing).
LOCK_TIMEOUT = "10s"


@dataclass(frozen=True, slots=True)
class PartitionReport:
    created: tuple[int, ...]  # years whose partition this run created
    moved_rows: int  # rows moved out of DEFAULT into their year's partition
    supported: bool  # False on a database without partitioning (SQLite): nothing to do


def partition_name(year: int) -> str:
    return f"claims_claim_y{year}"


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """The partition's range: from 1 January of the year up to (not including) the next."""
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def years_to_ensure(*, today: dt.date, years_ahead: int, stray_years: set[int]) -> list[int]:
    """This year, the next `years_ahead`, and every year that has rows waiting in DEFAULT."""
    ahead = set(range(today.year, today.year + years_ahead + 1))
    return sorted(ahead | stray_years)


def ensure_claim_partitions(
    *, today: dt.date, years_ahead: int = 1, using: str = DEFAULT_DB_ALIAS
) -> PartitionReport:
    """Make the partitions `years_to_ensure` names that do not exist yet, in one transaction.

    Call it outside other work's transaction (the beat job and the command do): PostgreSQL
    refuses to alter DEFAULT while the transaction still owes it deferred foreign-key checks
    of claims it inserted.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return PartitionReport(created=(), moved_rows=0, supported=False)
    created: list[int] = []
    moved = 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        existing = _partition_years(cursor)
        stray = _years_in_default(cursor)
        for year in years_to_ensure(today=today, years_ahead=years_ahead, stray_years=stray):
            if year in existing:
                continue
            moved += _create_partition(cursor, year)
            created.append(year)
    return PartitionReport(created=tuple(created), moved_rows=moved, supported=True)


def list_partitions(*, using: str = DEFAULT_DB_ALIAS) -> list[tuple[str, int]]:
    """Each partition of claims_claim and its estimated row count (for the command's listing)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, greatest(c.reltuples, 0)::bigint FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [PARENT],
        )
        return [(name, rows) for name, rows in cursor.fetchall()]


def _partition_years(cursor: CursorWrapper) -> set[int]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass",
        [PARENT],
    )
    names = (name for (name,) in cursor.fetchall())
    return {int(match[1]) for name in names if (match := YEAR_PARTITION.match(name))}


def _years_in_default(cursor: CursorWrapper) -> set[int]:
    years = "SELECT DISTINCT extract(year FROM service_date)::int"
    cursor.execute(f"{years} FROM {DEFAULT_PARTITION}")
    return {year for (year,) in cursor.fetchall()}


def _parent_columns(cursor: CursorWrapper) -> list[str]:
    """The parent's columns, quoted, in its order (named, not ``*``, so a column added or
    dropped by a later migration cannot shift the copy)."""
    cursor.execute(
        "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = %s::regclass"
        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        [PARENT],
    )
    return [name for (name,) in cursor.fetchall()]


def _create_partition(cursor: CursorWrapper, year: int) -> int:
    """Create the year's partition, moving its rows out of DEFAULT first; returns rows moved.

    PostgreSQL refuses a new partition while DEFAULT holds rows of its range, so the partition
    is built as a plain table, filled from DEFAULT, and then attached. While it is a plain table
    it has none of the parent's triggers, so the moved rows keep their claims_claim_key rows
    (same id, same keys). The rows leave DEFAULT with its delete trigger disabled for this one
    statement, inside this transaction: no other session ever sees it disabled.
    """
    name = partition_name(year)
    start, end = year_bounds(year)
    # Writers to DEFAULT wait until commit (readers do not): a claim updated there between the
    # copy and the delete would otherwise be deleted in its updated form and copied in its old.
    # Creating the partition locks DEFAULT against writers until commit anyway.
    cursor.execute(f"LOCK TABLE {DEFAULT_PARTITION} IN EXCLUSIVE MODE")
    cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    # A constraint matching the bounds lets ATTACH skip scanning the new partition.
    # (DDL takes no bound parameters: the dates are written out, made from an int year.)
    lower, upper = f"'{start.isoformat()}'", f"'{end.isoformat()}'"
    cursor.execute(
        f"ALTER TABLE {name} ADD CONSTRAINT {name}_bounds"
        f" CHECK (service_date IS NOT NULL AND service_date >= {lower} AND service_date < {upper})"
    )
    columns = ", ".join(_parent_columns(cursor))
    cursor.execute(
        f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {DEFAULT_PARTITION}"  # noqa: S608
        " WHERE service_date >= %s AND service_date < %s",
        [start, end],
    )
    moved = cursor.rowcount
    if moved:
        cursor.execute(f"ALTER TABLE {DEFAULT_PARTITION} DISABLE TRIGGER claims_claim_no_delete")
        cursor.execute(
            f"DELETE FROM {DEFAULT_PARTITION}"  # noqa: S608 (a constant)
            " WHERE service_date >= %s AND service_date < %s",
            [start, end],
        )
        if cursor.rowcount != moved:
            raise RuntimeError(
                f"claims partition {name}: copied {moved}, removed {cursor.rowcount}"
            )
        cursor.execute(f"ALTER TABLE {DEFAULT_PARTITION} ENABLE TRIGGER claims_claim_no_delete")
    cursor.execute(
        f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ({lower}) TO ({upper})"
    )
    cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bounds")
    _add_month_totals_triggers(cursor, name)
    return moved


# Migration 0005's monthly-totals statement triggers, which fire only for statements naming the
# table they are on: every partition has them too (0007), so a write straight into a partition
# is counted. Made after the drain, which moves rows already counted.
MONTH_TOTALS_TRIGGERS = (
    (
        "claims_claim_month_totals_insert",
        "AFTER INSERT ON {table} REFERENCING NEW TABLE AS inserted_claims",
        "claims_claim_month_totals_add",
    ),
    (
        "claims_claim_month_totals_update",
        "AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_claims NEW TABLE AS new_claims",
        "claims_claim_month_totals_change",
    ),
)


def _add_month_totals_triggers(cursor: CursorWrapper, table: str) -> None:
    for name, event, function in MONTH_TOTALS_TRIGGERS:
        cursor.execute(
            f"CREATE TRIGGER {name} {event.format(table=table)}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
