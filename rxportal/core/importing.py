"""Shared machinery for reference-data importers.

- CsvSource / CsvRow: stream CSV rows with line numbers; typed field parsers raise
  ImportRowError naming the file, line and field of a bad value.
- progress(): a tqdm bar on stderr, only for a terminal.
- Upserter: batched insert-or-update by natural key that skips unchanged rows.
- ImportCommand: the management-command edge (--data-dir, --no-progress, CommandError).

Per-domain rules and the transaction live in each app's services.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from tqdm import tqdm

from rxportal.core.errors import DomainError
from rxportal.core.money import to_money

T = TypeVar("T")

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


class DataImportError(DomainError):
    """A reference file cannot be imported (missing file or bad header)."""

    code = "import.bad_file"


class ImportRowError(DataImportError):
    """One field of one row is bad: `<file> line <n>: <field> <what is wrong>`."""

    code = "import.bad_row"

    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        super().__init__(
            f"{file} line {line}: {field} {message}", file=file, line=line, field=field
        )
        self.file = file
        self.line = line
        self.field = field


@dataclass(frozen=True)
class CsvSource:
    """A CSV file to import; the service asks it for rows with the columns it needs."""

    path: Path
    show_progress: bool = False

    @property
    def name(self) -> str:
        return self.path.name

    def rows(self, *, columns: Sequence[str]) -> Iterator[CsvRow]:
        """Stream the rows (one at a time) after checking that every needed column exists."""
        if not self.path.is_file():
            raise DataImportError(f"{self.name}: file not found at {self.path}")
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            try:
                header = reader.fieldnames or []
                for column in columns:
                    if column not in header:
                        raise ImportRowError(
                            self.name, 1, column, "column is missing from the header"
                        )
                total = _count_data_lines(self.path) if self.show_progress else None
                records = progress(reader, desc=self.name, total=total, enabled=self.show_progress)
                for values in records:
                    # line_num is where the record ends: the row's own line for one-line records.
                    row = CsvRow(file=self.name, line=reader.line_num, values=values)
                    row.check_shape(len(header))
                    yield row
            except (UnicodeDecodeError, csv.Error) as exc:
                raise ImportRowError(
                    self.name, reader.line_num + 1, "row", f"is not readable CSV text ({exc})"
                ) from None


@dataclass(frozen=True)
class CsvRow:
    """One CSV record with typed accessors; every accessor error names file, line and field."""

    file: str
    line: int
    values: dict[str | None, Any]

    def error(self, field: str, message: str) -> ImportRowError:
        return ImportRowError(self.file, self.line, field, message)

    def check_shape(self, header_len: int) -> None:
        if None in self.values:  # DictReader's restkey: more values than header columns
            extra = len(self.values[None])
            raise self.error("row", f"has {header_len + extra} fields, the header has {header_len}")
        for key, value in self.values.items():
            if value is None:  # DictReader's restval: fewer values than header columns
                raise self.error(str(key), "is missing (the row has too few fields)")

    def raw(self, field: str) -> str:
        return str(self.values.get(field) or "").strip()

    def text(self, field: str, *, required: bool = True, max_length: int | None = None) -> str:
        value = self.raw(field)
        if required and not value:
            raise self.error(field, "is required")
        if max_length is not None and len(value) > max_length:
            raise self.error(field, f"is longer than {max_length} characters")
        return value

    def matching(self, field: str, pattern: str, *, description: str) -> str:
        value = self.raw(field)
        if not re.fullmatch(pattern, value):
            raise self.error(field, f"{value!r} is not {description}")
        return value

    def choice(self, field: str, allowed: Collection[str], *, what: str = "value") -> str:
        value = self.raw(field)
        if value not in allowed:
            raise self.error(
                field, f"{value!r} is not a known {what} ({', '.join(sorted(allowed))})"
            )
        return value

    def boolean(self, field: str) -> bool:
        value = self.raw(field).lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise self.error(field, f"{self.raw(field)!r} is not true or false")

    def number(
        self, field: str, *, minimum: float | None = None, maximum: float | None = None
    ) -> float:
        value = self.optional_number(field, minimum=minimum, maximum=maximum)
        if value is None:
            raise self.error(field, "is required")
        return value

    def optional_number(
        self, field: str, *, minimum: float | None = None, maximum: float | None = None
    ) -> float | None:
        value = self.raw(field)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            raise self.error(field, f"{value!r} is not a number") from None
        if not math.isfinite(number):
            raise self.error(field, f"{value!r} is not a number")
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise self.error(field, f"{value} is outside {minimum}..{maximum}")
        return number

    def money(self, field: str) -> Decimal:
        """A non-negative amount, rounded half-up to cents (the precision of money columns)."""
        value = self.raw(field)
        if not value:
            raise self.error(field, "is required")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise self.error(field, f"{value!r} is not an amount") from None
        if not amount.is_finite() or amount < 0:
            raise self.error(field, f"{value!r} is not a non-negative amount")
        return to_money(amount)

    def date(self, field: str) -> dt.date:
        value = self.raw(field)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.error(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


def progress(
    iterable: Iterable[T], *, desc: str, total: int | None = None, enabled: bool = True
) -> Iterable[T]:
    """A tqdm bar on stderr, only when asked for and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        return iterable
    return tqdm(iterable, desc=desc, total=total, unit="row", file=sys.stderr, leave=False)


def column_max_length(model: type[models.Model], field: str) -> int:
    """A text column's max_length, so parsers reject what the database would refuse."""
    length = getattr(model._meta.get_field(field), "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{field} has no max_length")
    return length


def _count_data_lines(path: Path) -> int:
    """Physical lines minus the header: cheap, and exact for files without multi-line fields."""
    with path.open("rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(lines - 1, 0)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class ImportCounts:
    """What one importer did to one table."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.deleted} deleted" if self.deleted else "")


@dataclass
class ImportReport:
    """Counts per table plus notes worth showing to whoever ran the import."""

    tables: dict[str, ImportCounts] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{name}: {counts}" for name, counts in self.tables.items()] + self.notes


class Upserter:
    """Insert-or-update rows by natural key, in batches, touching only rows whose values changed.

    The current rows are read once into memory (keys and compared values only), so a run on
    unchanged data issues no writes at all: that keeps a second import cheap and leaves
    `updated_at` alone. The caller owns the transaction.
    """

    def __init__(
        self,
        queryset: QuerySet[Any],
        *,
        key: Sequence[str],
        fields: Sequence[str],
        batch_size: int = 1000,
    ) -> None:
        self.model: type[models.Model] = queryset.model
        self.key = tuple(key)
        self.fields = tuple(fields)
        self.batch_size = batch_size
        self.counts = ImportCounts()
        self._stamp = any(f.name == "updated_at" for f in self.model._meta.concrete_fields)
        self._existing: dict[tuple[Any, ...], tuple[Any, tuple[Any, ...]]] = {}
        width = len(self.key)
        for pk, *values in queryset.values_list("pk", *self.key, *self.fields).iterator():
            self._existing[tuple(values[:width])] = (pk, tuple(values[width:]))
        self._seen: set[tuple[Any, ...]] = set()
        self._to_create: list[models.Model] = []
        self._to_update: list[models.Model] = []

    def seen(self, key: tuple[Any, ...]) -> bool:
        return key in self._seen

    @property
    def seen_keys(self) -> frozenset[tuple[Any, ...]]:
        return frozenset(self._seen)

    def put(self, values: dict[str, Any]) -> None:
        """Queue one row; `values` holds the key fields and every compared field."""
        key = tuple(values[name] for name in self.key)
        self._seen.add(key)
        new = tuple(values[name] for name in self.fields)
        current = self._existing.get(key)
        if current is None:
            self._to_create.append(self.model(**values))
            self.counts.created += 1
        elif current[1] != new:
            self._to_update.append(self.model(pk=current[0], **values))
            self.counts.updated += 1
        else:
            self.counts.unchanged += 1
        if len(self._to_create) + len(self._to_update) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self._to_create:
            self.model._default_manager.bulk_create(self._to_create, batch_size=self.batch_size)
            self._to_create = []
        if self._to_update:
            fields = list(self.fields)
            if self._stamp:
                # bulk_update skips auto_now, so stamp changed rows ourselves.
                stamp = timezone.now()
                for obj in self._to_update:
                    obj.updated_at = stamp  # type: ignore[attr-defined]
                fields.append("updated_at")
            self.model._default_manager.bulk_update(
                self._to_update, fields, batch_size=min(self.batch_size, 500)
            )
            self._to_update = []

    def unseen_pks(self) -> list[Any]:
        """Primary keys of rows that existed before but were not put in this run."""
        return [pk for key, (pk, _) in self._existing.items() if key not in self._seen]

    def delete_unseen(self) -> None:
        stale = self.unseen_pks()
        for chunk in batched(stale, 500):
            self.model._default_manager.filter(pk__in=chunk).delete()
        self.counts.deleted += len(stale)


class ImportCommand(BaseCommand):
    """Edge for one importer: options, then one service call; bad data exits non-zero."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="folder holding the reference CSVs (default: RXPORTAL_REFERENCE_DATA_DIR)",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (also off at -v 0)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = Path(options["data_dir"] or settings.RXPORTAL_REFERENCE_DATA_DIR)
        show_progress = not options["no_progress"] and options["verbosity"] > 0

        def source(file_name: str) -> CsvSource:
            return CsvSource(data_dir / file_name, show_progress=show_progress)

        try:
            report = self.run_import(source)
        except DataImportError as exc:
            raise CommandError(exc.message) from exc
        if options["verbosity"] > 0:
            for line in report.lines():
                self.stdout.write(line)

    def run_import(self, source: Callable[[str], CsvSource]) -> ImportReport:
        raise NotImplementedError
