"""Fast writers for generated demo rows: PostgreSQL COPY, or batched bulk_create elsewhere.

Both take the `Rows` of one batch and write them in one transaction. Primary keys for tables
other rows point at (members, prescriptions, claims, mail orders) come from an `IdSource`:
on PostgreSQL ids are drawn from the table's own sequence (`nextval` in chunks, safe with
several worker processes); on SQLite (one process) they count up from the current maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from rxportal.claims.models import Accumulator, Claim
from rxportal.demo.domain import (
    ACCUMULATOR_FIELDS,
    CLAIM_FIELDS,
    MAIL_ORDER_EVENT_FIELDS,
    MAIL_ORDER_FIELDS,
    MAIL_ORDER_LINE_FIELDS,
    MEMBER_FIELDS,
    PRESCRIPTION_FIELDS,
    TABLES,
    IdSource,
    Rows,
)
from rxportal.members.models import Member
from rxportal.orders.models import MailOrder, MailOrderEvent, MailOrderLine
from rxportal.prescriptions.models import Prescription


@dataclass(frozen=True, slots=True)
class TableSpec:
    model: type[models.Model]
    fields: tuple[str, ...]

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    @property
    def columns(self) -> list[str]:
        by_attname = {f.attname: f.column for f in self.model._meta.concrete_fields}
        return [by_attname[name] for name in self.fields]


TABLE_SPECS: dict[str, TableSpec] = {
    "member": TableSpec(Member, MEMBER_FIELDS),
    "prescription": TableSpec(Prescription, PRESCRIPTION_FIELDS),
    "claim": TableSpec(Claim, CLAIM_FIELDS),
    "accumulator": TableSpec(Accumulator, ACCUMULATOR_FIELDS),
    "mail_order": TableSpec(MailOrder, MAIL_ORDER_FIELDS),
    "mail_order_line": TableSpec(MailOrderLine, MAIL_ORDER_LINE_FIELDS),
    "mail_order_event": TableSpec(MailOrderEvent, MAIL_ORDER_EVENT_FIELDS),
}
ID_TABLES = ("member", "prescription", "claim", "mail_order")


def check_table_specs() -> None:
    """The generators' column lists must match the models (every column, `id` optional)."""
    for table, spec in TABLE_SPECS.items():
        attnames = {f.attname for f in spec.model._meta.concrete_fields}
        expected = attnames if "id" in spec.fields else attnames - {"id"}
        if set(spec.fields) != expected or len(spec.fields) != len(expected):
            missing = sorted(expected - set(spec.fields))
            extra = sorted(set(spec.fields) - expected)
            raise RuntimeError(
                f"demo generator columns for {table} do not match the model: "
                f"missing {missing}, unknown {extra}"
            )


class PostgresIds(IdSource):
    """Ids from each table's sequence, fetched in chunks (`nextval` is safe across sessions)."""

    CHUNK = {"claim": 50_000, "prescription": 10_000, "member": 5_000, "mail_order": 2_000}

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self._connection = connection
        self._pools: dict[str, list[int]] = {table: [] for table in ID_TABLES}

    def take(self, table: str) -> int:
        pool = self._pools[table]
        if not pool:
            self._refill(table, pool)
        return pool.pop()

    def _refill(self, table: str, pool: list[int]) -> None:
        spec = TABLE_SPECS[table]
        with self._connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [spec.db_table, self.CHUNK[table]],
            )
            values = [row[0] for row in cursor.fetchall()]
        values.sort(reverse=True)  # pop() hands them out in ascending order
        pool.extend(values)


class CountingDbIds(IdSource):
    """Ids counting up from each table's current maximum (one writer process only)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, table: str) -> int:
        value = self._next.get(table)
        if value is None:
            model = TABLE_SPECS[table].model
            value = (model._default_manager.aggregate(m=models.Max("id"))["m"] or 0) + 1
        self._next[table] = value + 1
        return value


class CopyWriter:
    """PostgreSQL: one COPY per table per batch, all in one transaction."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self._connection = connection
        self._sql = {
            table: f"COPY {spec.db_table} ({', '.join(spec.columns)}) FROM STDIN"
            for table, spec in TABLE_SPECS.items()
        }

    def write(self, rows: Rows) -> None:
        with transaction.atomic(using=self._connection.alias), self._connection.cursor() as cursor:
            for table in TABLES:
                batch = getattr(rows, table)
                if not batch:
                    continue
                with cursor.copy(self._sql[table]) as copy:
                    write_row = copy.write_row
                    for row in batch:
                        write_row(row)


class BulkCreateWriter:
    """Any other database (SQLite): batched bulk_create of model instances."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self._connection = connection

    def write(self, rows: Rows) -> None:
        with transaction.atomic(using=self._connection.alias):
            for table in TABLES:
                batch = getattr(rows, table)
                if not batch:
                    continue
                spec = TABLE_SPECS[table]
                names = spec.fields
                objects = [spec.model(**dict(zip(names, row, strict=True))) for row in batch]
                manager = spec.model._default_manager.using(self._connection.alias)
                manager.bulk_create(objects, batch_size=500)


def make_writer(connection: BaseDatabaseWrapper) -> CopyWriter | BulkCreateWriter:
    if connection.vendor == "postgresql":
        return CopyWriter(connection)
    return BulkCreateWriter(connection)


def make_ids(connection: BaseDatabaseWrapper) -> IdSource:
    if connection.vendor == "postgresql":
        return PostgresIds(connection)
    return CountingDbIds()
