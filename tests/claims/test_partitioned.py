"""Claims partitioned by plan year on PostgreSQL (issue 16, migration 0004).

The migration is run back and forth on real rows; then the partitioned table is held to what
the one table guaranteed: no claim deleted (on any partition), the paid-sum check, claim
numbers, public ids and ids unique across every partition, a reversal naming a real claim. The
claims page's read of one plan year opens one partition, and the maintenance job makes next
year's partition and empties DEFAULT, as often as it runs.

SQLite keeps one ordinary table: the PostgreSQL tests skip there, and CI runs them on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from rxportal.claims import partitions
from rxportal.claims.domain import ClaimQuery, StatusFilter, compute_plan_year_period
from rxportal.claims.models import Claim, ClaimStatus
from rxportal.claims.selectors import ClaimScope, get_claim_history_page, get_claim_summary
from rxportal.claims.tasks import ensure_claim_partitions as ensure_claim_partitions_task
from rxportal.members.models import Member
from tests.claims.conftest import kept_month_totals, recompute_month_totals
from tests.conftest import Family
from tests.factories import ClaimFactory, MemberFactory

D = Decimal
BEFORE = ("claims", "0003_paid_amounts_add_up_in_cents")
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="claims are partitioned on PostgreSQL only; SQLite keeps one ordinary table",
)
KEY_COLUMNS = (
    "id, claim_number, public_id, reverses_id, service_date, status, total_cost, plan_paid,"
    " member_paid, deductible_applied, oop_applied, member_id, drug_id, created_at"
)


def _rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def _value(sql: str, params: list[Any] | None = None) -> Any:
    ((value,),) = _rows(sql, params)
    return value


def _claims_snapshot() -> list[tuple[Any, ...]]:
    return _rows(f"SELECT {KEY_COLUMNS} FROM claims_claim ORDER BY id")  # noqa: S608 (a constant)


def _relkind() -> str:
    return _value("SELECT relkind FROM pg_class WHERE oid = 'claims_claim'::regclass")


def _index_columns() -> set[str]:
    """The column list of every index on claims_claim, e.g. "(member_id, service_date DESC…)"."""
    definitions = _rows("SELECT indexdef FROM pg_indexes WHERE tablename = 'claims_claim'")
    return {re.sub(r"^.*? USING btree ", "", definition) for (definition,) in definitions}


def _migrate(target: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())


def _copy_of(claim: Claim, **changes: Any) -> None:
    """Insert a copy of ``claim`` with ``changes`` in raw SQL (into a partition, if named)."""
    table = changes.pop("table", "claims_claim")
    values = {field.column: getattr(claim, field.attname) for field in Claim._meta.concrete_fields}
    values.update(public_id=uuid.uuid4(), claim_number=f"C{uuid.uuid4().hex[:20]}")
    # A partition has no default for id (PostgreSQL 15 gives it to inserts through the parent).
    values["id"] = _value("SELECT nextval(pg_get_serial_sequence('claims_claim', 'id'))")
    values.update(changes)
    columns = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (model columns)
        cursor.execute(sql, list(values.values()))


@pytest.fixture
def claims_unpartitioned(transactional_db: None) -> Iterator[None]:
    """claims at 0003 (one ordinary table) for the test; every later migration afterwards,
    whatever the test did (the rest of the suite needs the latest schema)."""
    _migrate([BEFORE])
    try:
        yield
    finally:
        _migrate_to_latest()


@on_postgresql
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_migration_moves_every_claim_into_its_years_partition_and_back(
    claims_unpartitioned: None,
) -> None:
    assert _relkind() == "r"
    this_year = dt.date.today().year
    member = MemberFactory()
    years = [2019, this_year - 1, this_year]  # 2019: no partition until the migration sees it
    originals = [
        ClaimFactory(member=member, service_date=dt.date(year, month, 28), member_paid=D(month))
        for year in years
        for month in (1, 6, 12)
    ]
    reversed_claim = originals[4]
    ClaimFactory(
        member=member,
        status=ClaimStatus.REVERSED,
        reverses=reversed_claim,
        service_date=dt.date(this_year, 1, 3),  # a reversal may fall in the next plan year
    )
    before = _claims_snapshot()
    old_indexes = _index_columns()
    next_id = _value("SELECT last_value FROM claims_claim_id_seq") + 1

    _migrate_to_latest()

    assert _relkind() == "p"
    assert _claims_snapshot() == before  # ids, numbers, dates, amounts: not a row lost or changed
    placed = _rows("SELECT service_date, tableoid::regclass::text FROM claims_claim")
    assert {(day.year, table) for day, table in placed} == {
        (year, f"claims_claim_y{year}") for year in years
    }
    assert _value("SELECT count(*) FROM claims_claim_key") == len(before)
    assert _rows("SELECT claim_id, reverses_id FROM claims_claim_key WHERE reverses_id IS NOT NULL")
    # Every index of the one table is still there (unique ones as plain, the key table keeps
    # them unique); the primary key gained the partition key.
    new_indexes = _index_columns()
    for columns in old_indexes - {"(id)"}:
        assert columns in new_indexes, columns
    assert "(id, service_date)" in new_indexes
    # This and next year's partitions, and the DEFAULT one, were made.
    names = {name for name, _rows_estimate in partitions.list_partitions()}
    assert {f"claims_claim_y{this_year}", f"claims_claim_y{this_year + 1}"} <= names
    assert "claims_claim_default" in names
    # The id sequence went on where it was.
    assert ClaimFactory(member=member).pk == next_id

    after_forward = _claims_snapshot()
    _migrate([BEFORE])

    assert _relkind() == "r"
    assert _claims_snapshot() == after_forward
    assert _value("SELECT to_regclass('claims_claim_key')") is None
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        Claim.objects.filter(pk=originals[0].pk)._raw_delete(connection.alias)
    assert ClaimFactory(member=member).pk == next_id + 1


@on_postgresql
@pytest.mark.django_db
def test_the_migration_refuses_a_copy_that_lost_a_row(member: Member) -> None:
    migration = importlib.import_module(
        "rxportal.claims.migrations.0004_partition_claims_by_plan_year"
    )
    ClaimFactory.create_batch(3, member=member)
    claims = _value("SELECT count(*) FROM claims_claim")

    with connection.cursor() as cursor:
        migration._check_counts(cursor, "claims_claim", "claims_claim_key", claims)
        with pytest.raises(RuntimeError, match="lost rows"):
            migration._check_counts(cursor, "claims_claim", "claims_claim_key", claims - 1)


@pytest.fixture
def member() -> Member:
    return MemberFactory()


@pytest.fixture
def this_year() -> int:
    return dt.date.today().year


def _check_deferred_constraints_now() -> None:
    """The maintenance job alters DEFAULT, which PostgreSQL refuses while the transaction still
    owes it deferred foreign-key checks; it runs in a transaction of its own, a test does not."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@on_postgresql
@pytest.mark.django_db
def test_no_partition_lets_a_claim_be_deleted(member: Member, this_year: int) -> None:
    claim = ClaimFactory(member=member, service_date=dt.date(this_year, 3, 1))
    stray = ClaimFactory(member=member, service_date=dt.date(2095, 3, 1))  # in DEFAULT

    for table, pk in ((f"claims_claim_y{this_year}", claim.pk), ("claims_claim_default", stray.pk)):
        with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
            _rows(f"DELETE FROM {table} WHERE id = %s RETURNING id", [pk])  # noqa: S608
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        Claim.objects.filter(member=member)._raw_delete(connection.alias)

    assert Claim.objects.filter(member=member).count() == 2


@on_postgresql
@pytest.mark.django_db
def test_a_partition_refuses_paid_amounts_that_do_not_add_up(
    member: Member, this_year: int
) -> None:
    claim = ClaimFactory(member=member, service_date=dt.date(this_year, 3, 1))

    with pytest.raises(IntegrityError, match="claim_paid_amounts_add_up"), transaction.atomic():
        _copy_of(claim, table=f"claims_claim_y{this_year}", total_cost=D("99.99"))
    with pytest.raises(IntegrityError, match="claim_money_non_negative"), transaction.atomic():
        _copy_of(claim, table="claims_claim_default", service_date=dt.date(2095, 1, 1),
                 plan_paid=D("-1.00"), total_cost=D("9.00"))  # fmt: skip


@on_postgresql
@pytest.mark.django_db
def test_claim_numbers_public_ids_and_ids_stay_unique_across_partitions(
    member: Member, this_year: int
) -> None:
    claim = ClaimFactory(
        member=member, claim_number="PBM-000001", service_date=dt.date(this_year, 5, 1)
    )
    last_year = dt.date(this_year - 1, 5, 1)

    with pytest.raises(IntegrityError, match="claim_number"), transaction.atomic():
        ClaimFactory(member=member, claim_number="PBM-000001", service_date=last_year)
    with pytest.raises(IntegrityError, match="public_id"), transaction.atomic():
        ClaimFactory(member=member, public_id=claim.public_id, service_date=last_year)
    with pytest.raises(IntegrityError, match="claims_claim_key_pkey"), transaction.atomic():
        _copy_of(claim, table="claims_claim_default", id=claim.pk, service_date=dt.date(2095, 1, 1))
    # A change of number to one in use in another partition is refused too; its own is free.
    other = ClaimFactory(member=member, service_date=last_year)
    with pytest.raises(IntegrityError, match="claim_number"), transaction.atomic():
        Claim.objects.filter(pk=other.pk).update(claim_number="PBM-000001")
    Claim.objects.filter(pk=other.pk).update(claim_number="PBM-000002")
    ClaimFactory(member=member, claim_number=other.claim_number, service_date=last_year)

    assert (
        _value("SELECT claim_number FROM claims_claim_key WHERE claim_id = %s", [other.pk])
        == "PBM-000002"
    )


@on_postgresql
@pytest.mark.django_db
def test_a_reversal_must_name_a_claim_that_exists_and_only_one_reversal(
    member: Member, this_year: int
) -> None:
    original = ClaimFactory(member=member, service_date=dt.date(this_year - 1, 12, 30))
    ClaimFactory(member=member, reverses=original, status=ClaimStatus.REVERSED,
                 service_date=dt.date(this_year, 1, 2))  # fmt: skip
    missing = _value("SELECT max(claim_id) + 1000 FROM claims_claim_key")

    with (
        pytest.raises(IntegrityError, match="claims_claim_key_reverses_id_fk"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        ClaimFactory(member=member, reverses_id=missing)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else the check waits for the commit
    with pytest.raises(IntegrityError, match="reverses_id"), transaction.atomic():
        ClaimFactory(member=member, reverses=original, status=ClaimStatus.REVERSED)


@on_postgresql
@pytest.mark.django_db
def test_a_role_that_may_write_claims_needs_no_grant_on_the_key_table(
    member: Member, this_year: int
) -> None:
    if not _value("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"):
        pytest.skip("the test database's user may not create roles")
    claim = ClaimFactory(member=member, service_date=dt.date(this_year, 3, 1))
    with connection.cursor() as cursor:  # all of it rolled back with the test's transaction
        cursor.execute("CREATE ROLE rxportal_claims_writer_test")
        cursor.execute(
            "GRANT SELECT, INSERT, UPDATE ON claims_claim TO rxportal_claims_writer_test"
        )
        cursor.execute("GRANT USAGE ON SEQUENCE claims_claim_id_seq TO rxportal_claims_writer_test")
        cursor.execute("SET LOCAL ROLE rxportal_claims_writer_test")
    try:
        # The key and the monthly-totals triggers write their tables as their owner.
        _copy_of(claim, claim_number="WRITER-1")
        _rows(
            "UPDATE claims_claim SET status = 'rejected' WHERE claim_number = 'WRITER-1' RETURNING id"
        )
        for table in ("claims_claim_key", "claims_claimmonthtotal"):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                _rows(f"SELECT count(*) FROM {table}")  # noqa: S608 (a constant)
        with pytest.raises(IntegrityError, match="claim_number"), transaction.atomic():
            _copy_of(claim, claim_number="WRITER-1")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

    assert _value("SELECT count(*) FROM claims_claim_key WHERE claim_number = 'WRITER-1'") == 1
    assert kept_month_totals() == recompute_month_totals()


@on_postgresql
@pytest.mark.django_db
def test_a_claim_cannot_move_to_another_plan_year(member: Member, this_year: int) -> None:
    claim = ClaimFactory(member=member, service_date=dt.date(this_year, 3, 1))

    # Moving partitions is a delete and an insert, and claims are never deleted.
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(service_date=dt.date(this_year - 1, 3, 1))
    Claim.objects.filter(pk=claim.pk).update(service_date=dt.date(this_year, 4, 1))

    assert _value(
        "SELECT service_date FROM claims_claim_key WHERE claim_id = %s", [claim.pk]
    ) == dt.date(this_year, 4, 1)


@on_postgresql
@pytest.mark.django_db
def test_writes_straight_into_a_partition_keep_the_month_totals(
    member: Member, this_year: int
) -> None:
    claim = ClaimFactory(member=member, service_date=dt.date(this_year, 3, 1))
    _copy_of(claim, table=f"claims_claim_y{this_year}", service_date=dt.date(this_year, 5, 2))
    _copy_of(claim, table="claims_claim_default", service_date=dt.date(2095, 5, 2))
    _rows(
        f"UPDATE claims_claim_y{this_year} SET status = 'rejected'"  # noqa: S608 (an int)
        " WHERE id = %s RETURNING id",
        [claim.pk],
    )
    _check_deferred_constraints_now()
    partitions.ensure_claim_partitions(today=dt.date(2095, 1, 1), years_ahead=0)
    _copy_of(claim, table="claims_claim_y2095", service_date=dt.date(2095, 6, 3))

    assert kept_month_totals() == recompute_month_totals()


@on_postgresql
@pytest.mark.django_db
def test_bulk_create_returns_the_ids_of_claims_it_spread_over_partitions(
    member: Member, this_year: int
) -> None:
    template = ClaimFactory(member=member)
    fields = {
        field.attname: getattr(template, field.attname)
        for field in Claim._meta.concrete_fields
        if field.attname not in {"id", "public_id", "claim_number", "service_date"}
    }
    made = Claim.objects.bulk_create(
        [
            Claim(**fields, claim_number=f"B{year}", service_date=dt.date(year, 7, 1))
            for year in (this_year, this_year + 1, 2095)
        ]
    )

    assert all(claim.pk for claim in made)
    placed = dict(_rows(
        "SELECT claim_number, tableoid::regclass::text FROM claims_claim WHERE id = ANY(%s)",
        [[claim.pk for claim in made]],
    ))  # fmt: skip
    assert placed == {
        f"B{this_year}": f"claims_claim_y{this_year}",
        f"B{this_year + 1}": f"claims_claim_y{this_year + 1}",
        "B2095": "claims_claim_default",
    }


def _relations(plan: dict[str, Any]) -> Iterator[str]:
    if "Relation Name" in plan:
        yield plan["Relation Name"]
    for child in plan.get("Plans", []):
        yield from _relations(child)


def _claims_tables_read(sql: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (document,) = cursor.fetchone()
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    return {name for name in _relations(plan) if name.startswith("claims_claim")}


@on_postgresql
@pytest.mark.django_db
def test_the_claims_page_reads_only_this_plan_years_partition(
    family: Family, scope: ClaimScope, plan_year: int
) -> None:
    _check_deferred_constraints_now()
    partitions.ensure_claim_partitions(today=dt.date(plan_year - 1, 1, 1), years_ahead=2)
    for year in (plan_year - 1, plan_year):
        for member in (family.subscriber, family.minor_child):
            ClaimFactory(member=member, service_date=dt.date(year, 2, 14))
    query = ClaimQuery(period=compute_plan_year_period(plan_year))
    # A filtered summary reads the claims (the unfiltered one reads ClaimMonthTotal).
    filtered = ClaimQuery(period=query.period, status=StatusFilter.PAID)

    with CaptureQueriesContext(connection) as queries:
        page = get_claim_history_page(scope=scope, query=query)
        get_claim_summary(scope=scope, query=filtered, today=dt.date(plan_year, 12, 31))
    claims_reads = [q["sql"] for q in queries if '"claims_claim"' in q["sql"]]

    assert len(page.claims) == 2
    assert len(claims_reads) == 2
    for sql in claims_reads:
        assert _claims_tables_read(sql) == {f"claims_claim_y{plan_year}"}, sql


@on_postgresql
@pytest.mark.django_db
def test_ensuring_partitions_makes_next_year_and_empties_default_once(member: Member) -> None:
    stray = ClaimFactory(member=member, service_date=dt.date(2091, 8, 1))
    reversal = ClaimFactory(member=member, reverses=stray, status=ClaimStatus.REVERSED,
                            service_date=dt.date(2091, 9, 1))  # fmt: skip
    keys_before = _value("SELECT count(*) FROM claims_claim_key")
    assert _value("SELECT count(*) FROM claims_claim_default") == 2
    _check_deferred_constraints_now()

    first = partitions.ensure_claim_partitions(today=dt.date(2089, 6, 1))
    again = partitions.ensure_claim_partitions(today=dt.date(2089, 6, 1))

    assert first == partitions.PartitionReport(
        created=(2089, 2090, 2091), moved_rows=2, supported=True
    )
    assert again == partitions.PartitionReport(created=(), moved_rows=0, supported=True)
    assert _value("SELECT count(*) FROM claims_claim_default") == 0
    assert set(_rows(
        "SELECT id, tableoid::regclass::text FROM claims_claim WHERE member_id = %s", [member.pk]
    )) == {(stray.pk, "claims_claim_y2091"), (reversal.pk, "claims_claim_y2091")}  # fmt: skip
    assert _value("SELECT count(*) FROM claims_claim_key") == keys_before
    assert Claim.objects.get(reverses=stray) == reversal
    # The moved rows are still guarded, and DEFAULT's delete trigger is back on.
    later = ClaimFactory(member=member, service_date=dt.date(2099, 1, 1))
    for table, pk in (("claims_claim_y2091", stray.pk), ("claims_claim_default", later.pk)):
        with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
            _rows(f"DELETE FROM {table} WHERE id = %s RETURNING id", [pk])  # noqa: S608
    with pytest.raises(IntegrityError, match="claim_number"), transaction.atomic():
        ClaimFactory(member=member, claim_number=stray.claim_number)


def _wait_until_a_lock_is_awaited(session: psycopg.Connection[Any]) -> None:
    for _ in range(200):
        session.execute("SELECT pg_stat_clear_snapshot()")  # else read once per transaction
        waiting = session.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if waiting != (0,):
            return
        time.sleep(0.05)
    raise AssertionError("the job never waited for the other session's lock")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_claim_updated_while_default_is_drained_keeps_its_update(member: Member) -> None:
    """Another session updates a claim in DEFAULT and commits while the job moves it: the
    claim that lands in its year's partition is the updated one, and the totals agree."""
    stray = ClaimFactory(member=member, service_date=dt.date(2091, 8, 1), status=ClaimStatus.PAID)
    other = psycopg.connect(
        **{key: value for key, value in connection.get_connection_params().items()
           if key != "cursor_factory"}
    )  # fmt: skip
    reports: list[partitions.PartitionReport] = []

    def ensure() -> None:
        try:
            reports.append(partitions.ensure_claim_partitions(today=dt.date(2091, 1, 1),
                                                              years_ahead=0))  # fmt: skip
        finally:
            connections.close_all()

    try:
        with other.transaction():
            other.execute("UPDATE claims_claim SET status = 'rejected' WHERE id = %s", [stray.pk])
            job = threading.Thread(target=ensure)
            job.start()
            _wait_until_a_lock_is_awaited(other)  # the job waits for what the update holds
        job.join(timeout=30)
        assert reports and reports[0].moved_rows == 1
        assert _rows("SELECT status, tableoid::regclass::text FROM claims_claim WHERE id = %s",
                     [stray.pk]) == [("rejected", "claims_claim_y2091")]  # fmt: skip
        assert kept_month_totals() == recompute_month_totals()
    finally:
        other.close()
        with connection.cursor() as cursor:  # a transactional test keeps what it made
            cursor.execute("DROP TABLE IF EXISTS claims_claim_y2091")


@on_postgresql
@pytest.mark.django_db
def test_the_command_creates_next_year_and_says_what_it_did(member: Member, this_year: int) -> None:
    ClaimFactory(member=member, service_date=dt.date(2093, 1, 1))
    _check_deferred_constraints_now()
    out = io.StringIO()

    call_command("ensure_claim_partitions", "--years-ahead", "2", stdout=out)
    call_command("ensure_claim_partitions", "--years-ahead", "2", stdout=out)

    first, second = (block for block in out.getvalue().split("created: ")[1:])
    assert f"{this_year + 2}" in first.splitlines()[0] and "2093" in first.splitlines()[0]
    assert "rows moved out of DEFAULT: 1" in first
    assert second.startswith("none; rows moved out of DEFAULT: 0")
    assert f"claims_claim_y{this_year + 2}" in second


@pytest.mark.django_db
def test_the_daily_job_ensures_the_partitions() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["claims.ensure_claim_partitions"]

    result = ensure_claim_partitions_task.run()

    assert entry["task"] == ensure_claim_partitions_task.name
    assert result == {"created": 0, "moved_rows": 0}  # the migration made this and next year


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's ordinary table")
@pytest.mark.django_db
def test_on_sqlite_claims_stay_one_table_and_the_job_has_nothing_to_do() -> None:
    out = io.StringIO()

    call_command("ensure_claim_partitions", stdout=out)

    assert partitions.ensure_claim_partitions(today=dt.date(2026, 1, 1)).supported is False
    assert partitions.list_partitions() == []
    assert "nothing to do" in out.getvalue()


def test_the_years_ensured_are_this_the_next_and_any_waiting_in_default() -> None:
    today = dt.date(2026, 12, 31)

    assert partitions.years_to_ensure(today=today, years_ahead=1, stray_years=set()) == [2026, 2027]
    assert partitions.years_to_ensure(today=today, years_ahead=0, stray_years={2019, 2030}) == [
        2019,
        2026,
        2030,
    ]
    assert partitions.year_bounds(2028) == (dt.date(2028, 1, 1), dt.date(2029, 1, 1))
    assert partitions.partition_name(2028) == "claims_claim_y2028"
