"""PostgreSQL: claims_claim becomes a table range-partitioned on service_date, one partition per
calendar year plus a DEFAULT partition (issue 16). SQLite keeps its ordinary table.

Django's model state does not change: the model still says `id` is the primary key and that
`claim_number`, `public_id` and `reverses` are unique. A partitioned table can only enforce a
unique key that contains the partition key, so those four stay globally unique through a narrow
side table, `claims_claim_key` (one row per claim, written by a trigger on every insert and kept
in step on update); its unique indexes raise `unique_violation` (Django's IntegrityError) and
its self-reference holds `reverses` to an existing claim. See docs/architecture.md.

The copy is built for a large table: one INSERT ... SELECT for every row (tuples routed to their
partition), the key table filled by one more, and indexes, foreign keys and triggers created
after the data is in. The row counts are compared before the old table is dropped; a mismatch
raises and the migration's transaction rolls everything back. The reverse goes back to the one
table Django created in 0001-0003, with the same names.

This file is history: it must not import the app's code (partition helpers live in
rxportal/claims/partitions.py for the maintenance command, and may change).
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations
from django.utils import timezone

OLD_TABLE = "claims_claim_unpartitioned"  # the ordinary table while rows are copied
OLD_PARTITIONED = "claims_claim_partitioned"  # the partitioned table while the reverse copies

# Every column, in the order Django created them (0001), so both copies name them explicitly.
COLUMNS = (
    "id",
    "public_id",
    "created_at",
    "updated_at",
    "claim_number",
    "service_date",
    "status",
    "reject_code",
    "reject_reason",
    "channel",
    "tier",
    "quantity",
    "days_supply",
    "total_cost",
    "plan_paid",
    "member_paid",
    "deductible_applied",
    "oop_applied",
    "drug_id",
    "member_id",
    "pharmacy_id",
    "plan_id",
    "prescription_id",
    "reverses_id",
)
COLUMN_LIST = ", ".join(COLUMNS)

# Indexes of the partitioned table, created on the parent after the copy (PostgreSQL builds one
# per partition and attaches it). The names are Django's where Django made the index; the three
# unique constraints Django made become plain indexes here (lookups by public id, claim number
# and reversal still use an index in each partition) and uniqueness moves to claims_claim_key.
PARTITIONED_INDEXES = (
    "ALTER TABLE claims_claim ADD CONSTRAINT claims_claim_pkey PRIMARY KEY (id, service_date)",
    "CREATE INDEX claim_member_recent ON claims_claim (member_id, service_date DESC, id DESC)",
    "CREATE INDEX claims_claim_public_id ON claims_claim (public_id)",
    "CREATE INDEX claims_claim_claim_number ON claims_claim (claim_number)",
    "CREATE INDEX claims_claim_claim_number_39326589_like"
    " ON claims_claim (claim_number varchar_pattern_ops)",
    "CREATE INDEX claims_claim_reverses_id ON claims_claim (reverses_id)",
    "CREATE INDEX claims_claim_drug_id_87f5a634 ON claims_claim (drug_id)",
    "CREATE INDEX claims_claim_member_id_506dd843 ON claims_claim (member_id)",
    "CREATE INDEX claims_claim_pharmacy_id_4e7f6d81 ON claims_claim (pharmacy_id)",
    "CREATE INDEX claims_claim_plan_id_617487e7 ON claims_claim (plan_id)",
    "CREATE INDEX claims_claim_prescription_id_72e1ab8c ON claims_claim (prescription_id)",
)

# Django's foreign keys to the other tables, same names, same deferral (checked at commit).
FOREIGN_KEYS = (
    ("claims_claim_drug_id_87f5a634_fk_formulary_drug_id", "drug_id", "formulary_drug"),
    ("claims_claim_member_id_506dd843_fk_members_member_id", "member_id", "members_member"),
    ("claims_claim_pharmacy_id_4e7f6d81_fk_pharmacies_pharmacy_id", "pharmacy_id", "pharmacies_pharmacy"),
    ("claims_claim_plan_id_617487e7_fk_plans_plan_id", "plan_id", "plans_plan"),
    ("claims_claim_prescription_id_72e1ab8c_fk_prescript", "prescription_id", "prescriptions_prescription"),
)

# The global keys of every claim. claim_id is the claim's id; reverses_id must name a claim
# here (deferred to commit like Django's own foreign keys, so a batch may hold a reversal
# before its original); service_date says which partition holds the claim.
KEY_TABLE = """
CREATE TABLE claims_claim_key (
    claim_id bigint NOT NULL,
    claim_number varchar(24) NOT NULL,
    public_id uuid NOT NULL,
    reverses_id bigint NULL,
    service_date date NOT NULL
)
"""
KEY_CONSTRAINTS = (
    "ALTER TABLE claims_claim_key ADD CONSTRAINT claims_claim_key_pkey PRIMARY KEY (claim_id)",
    "ALTER TABLE claims_claim_key ADD CONSTRAINT claims_claim_key_claim_number_key"
    " UNIQUE (claim_number)",
    "ALTER TABLE claims_claim_key ADD CONSTRAINT claims_claim_key_public_id_key UNIQUE (public_id)",
    "ALTER TABLE claims_claim_key ADD CONSTRAINT claims_claim_key_reverses_id_key"
    " UNIQUE (reverses_id)",
    "ALTER TABLE claims_claim_key ADD CONSTRAINT claims_claim_key_reverses_id_fk"
    " FOREIGN KEY (reverses_id) REFERENCES claims_claim_key (claim_id)"
    " DEFERRABLE INITIALLY DEFERRED",
)

# Row triggers made on the parent are cloned onto every partition, present and future (PG 13+),
# so a row written straight into a partition passes through them too. The key functions run
# as their owner (SECURITY DEFINER, search_path pinned): a role allowed to write claims needs
# no grant on the key table, and cannot reach it but through these triggers.
TRIGGERS = """
CREATE FUNCTION claims_claim_key_insert() RETURNS trigger
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO claims_claim_key (claim_id, claim_number, public_id, reverses_id, service_date)
    VALUES (NEW.id, NEW.claim_number, NEW.public_id, NEW.reverses_id, NEW.service_date);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION claims_claim_key_update() RETURNS trigger
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE claims_claim_key
       SET claim_id = NEW.id, claim_number = NEW.claim_number, public_id = NEW.public_id,
           reverses_id = NEW.reverses_id, service_date = NEW.service_date
     WHERE claim_id = OLD.id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- Only a TRUNCATE of the whole table (a test database being emptied) forgets the keys; the
-- rows of claims are never deleted one by one (claims_claim_no_delete).
CREATE FUNCTION claims_claim_key_truncate() RETURNS trigger
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    TRUNCATE claims_claim_key;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER claims_claim_key_on_insert BEFORE INSERT ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION claims_claim_key_insert();
CREATE TRIGGER claims_claim_key_on_update BEFORE UPDATE ON claims_claim
    FOR EACH ROW
    WHEN ((OLD.id, OLD.claim_number, OLD.public_id, OLD.reverses_id, OLD.service_date)
          IS DISTINCT FROM
          (NEW.id, NEW.claim_number, NEW.public_id, NEW.reverses_id, NEW.service_date))
    EXECUTE FUNCTION claims_claim_key_update();
CREATE TRIGGER claims_claim_key_on_truncate AFTER TRUNCATE ON claims_claim
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claim_key_truncate();
-- 0002's function: claims are never deleted, in any partition.
CREATE TRIGGER claims_claim_no_delete BEFORE DELETE ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION claims_claim_forbid_delete();
"""

DROP_KEY_TRIGGERS = """
DROP TRIGGER IF EXISTS claims_claim_key_on_insert ON {table};
DROP TRIGGER IF EXISTS claims_claim_key_on_update ON {table};
DROP TRIGGER IF EXISTS claims_claim_key_on_truncate ON {table};
DROP FUNCTION IF EXISTS claims_claim_key_insert();
DROP FUNCTION IF EXISTS claims_claim_key_update();
DROP FUNCTION IF EXISTS claims_claim_key_truncate();
"""


def partition_name(year: int) -> str:
    return f"claims_claim_y{year}"


def _one(cursor, sql: str, params: list | None = None):
    cursor.execute(sql, params or [])
    return cursor.fetchone()


def _sequence_state(cursor, table: str) -> tuple[str, int, bool]:
    """The id sequence's name and position, so the next id after the move is the next one the
    old table would have handed out (ids already given out are never reused)."""
    (sequence,) = _one(cursor, "SELECT pg_get_serial_sequence(%s, 'id')", [table])
    last_value, is_called = _one(cursor, f"SELECT last_value, is_called FROM {sequence}")
    return sequence, last_value, is_called


def _restore_sequence(cursor, table: str, last_value: int, is_called: bool) -> None:
    (sequence,) = _one(cursor, "SELECT pg_get_serial_sequence(%s, 'id')", [table])
    cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])


def _copy_grants(cursor, source: str, target: str) -> None:
    """Whatever other roles were granted on the table they get on its replacement (a reporting
    role, say); the owner's own rights come with ownership."""
    cursor.execute(
        "SELECT acl.privilege_type,"
        " CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(role.rolname) END"
        " FROM pg_class AS class CROSS JOIN LATERAL aclexplode(class.relacl) AS acl"
        " LEFT JOIN pg_roles AS role ON role.oid = acl.grantee"
        " WHERE class.oid = %s::regclass AND acl.grantee <> class.relowner",
        [source],
    )
    for privilege, grantee in cursor.fetchall():
        cursor.execute(f"GRANT {privilege} ON {target} TO {grantee}")


def _check_counts(cursor, source: str, target: str, copied: int) -> None:
    (source_rows,) = _one(cursor, f"SELECT count(*) FROM {source}")
    (target_rows,) = _one(cursor, f"SELECT count(*) FROM {target}")
    if not source_rows == target_rows == copied:
        raise RuntimeError(
            f"claims copy lost rows: {source} has {source_rows}, {target} has {target_rows}, "
            f"{copied} copied; nothing was changed"
        )


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # Nobody writes a claim while it moves (reads wait too: the table is being replaced).
        cursor.execute("LOCK TABLE claims_claim IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            "SELECT DISTINCT extract(year FROM service_date)::int FROM claims_claim ORDER BY 1"
        )
        this_year = timezone.localdate().year
        years = sorted({row[0] for row in cursor.fetchall()} | {this_year, this_year + 1})
        sequence, last_value, is_called = _sequence_state(cursor, "claims_claim")

        # The old table steps aside. Index names are unique per schema, so its indexes and
        # constraints go now (the table is dropped at the end anyway) and their names are free.
        cursor.execute(f"ALTER TABLE claims_claim RENAME TO {OLD_TABLE}")
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {OLD_TABLE}_id_seq")
        cursor.execute(f"DROP TRIGGER claims_claim_no_delete ON {OLD_TABLE}")
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass"
            " AND contype IN ('f', 'u', 'p') ORDER BY contype = 'p'",  # the primary key last
            [OLD_TABLE],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {OLD_TABLE} DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass",
            [OLD_TABLE],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")

        # Same columns, types, defaults, identity and CHECK constraints (CHECKs propagate to
        # every partition); no indexes yet.
        cursor.execute(
            f"CREATE TABLE claims_claim (LIKE {OLD_TABLE}"
            " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY)"
            " PARTITION BY RANGE (service_date)"
        )
        _restore_sequence(cursor, "claims_claim", last_value, is_called)
        for year in years:
            # DDL takes no bound parameters: the bounds are written out, made from an int year.
            cursor.execute(
                f"CREATE TABLE {partition_name(year)} PARTITION OF claims_claim"
                f" FOR VALUES FROM ('{dt.date(year, 1, 1)}') TO ('{dt.date(year + 1, 1, 1)}')"
            )
        cursor.execute("CREATE TABLE claims_claim_default PARTITION OF claims_claim DEFAULT")

        # Index builds after the copy: give them memory (this transaction only).
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(
            f"INSERT INTO claims_claim ({COLUMN_LIST}) SELECT {COLUMN_LIST} FROM {OLD_TABLE}"
        )
        _check_counts(cursor, OLD_TABLE, "claims_claim", cursor.rowcount)

        cursor.execute(KEY_TABLE)
        cursor.execute(
            "INSERT INTO claims_claim_key"
            " (claim_id, claim_number, public_id, reverses_id, service_date)"
            f" SELECT id, claim_number, public_id, reverses_id, service_date FROM {OLD_TABLE}"
        )
        _check_counts(cursor, OLD_TABLE, "claims_claim_key", cursor.rowcount)
        for statement in KEY_CONSTRAINTS:
            cursor.execute(statement)

        for statement in PARTITIONED_INDEXES:
            cursor.execute(statement)
        for name, column, target in FOREIGN_KEYS:
            cursor.execute(
                f"ALTER TABLE claims_claim ADD CONSTRAINT {name} FOREIGN KEY ({column})"
                f" REFERENCES {target} (id) DEFERRABLE INITIALLY DEFERRED"
            )
        cursor.execute(TRIGGERS)
        _copy_grants(cursor, OLD_TABLE, "claims_claim")
        cursor.execute(f"DROP TABLE {OLD_TABLE}")
        # Autovacuum analyzes partitions but never a partitioned parent: plan with real figures.
        cursor.execute("ANALYZE claims_claim")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("LOCK TABLE claims_claim IN ACCESS EXCLUSIVE MODE")
        sequence, last_value, is_called = _sequence_state(cursor, "claims_claim")
        cursor.execute(f"ALTER TABLE claims_claim RENAME TO {OLD_PARTITIONED}")
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {OLD_PARTITIONED}_id_seq")
        cursor.execute(f"DROP TRIGGER claims_claim_no_delete ON {OLD_PARTITIONED}")
        cursor.execute(DROP_KEY_TRIGGERS.format(table=OLD_PARTITIONED))
        # Free the names Django's table is about to take: index names are unique per schema
        # (dropping a partitioned index drops its partitions' too), and PostgreSQL names the
        # unnamed CHECK of a PositiveSmallIntegerField after the table and column, avoiding
        # names in use.
        cursor.execute(f"ALTER TABLE {OLD_PARTITIONED} DROP CONSTRAINT claims_claim_pkey")
        cursor.execute(
            f"ALTER TABLE {OLD_PARTITIONED} DROP CONSTRAINT claims_claim_days_supply_check"
        )
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass",
            [OLD_PARTITIONED],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")

    # Django's own table, exactly as 0001-0003 made it: its foreign keys and indexes are
    # deferred by the schema editor to the end of this migration, so after the copy.
    schema_editor.create_model(apps.get_model("claims", "Claim"))
    with schema_editor.connection.cursor() as cursor:
        _restore_sequence(cursor, "claims_claim", last_value, is_called)
        cursor.execute(
            f"INSERT INTO claims_claim ({COLUMN_LIST})"
            f" SELECT {COLUMN_LIST} FROM {OLD_PARTITIONED}"
        )
        _check_counts(cursor, OLD_PARTITIONED, "claims_claim", cursor.rowcount)
        _copy_grants(cursor, OLD_PARTITIONED, "claims_claim")
        cursor.execute(f"DROP TABLE {OLD_PARTITIONED}")
        cursor.execute("DROP TABLE claims_claim_key")
        cursor.execute(
            "CREATE TRIGGER claims_claim_no_delete BEFORE DELETE ON claims_claim"
            " FOR EACH ROW EXECUTE FUNCTION claims_claim_forbid_delete()"
        )


class Migration(migrations.Migration):
    dependencies = [("claims", "0003_paid_amounts_add_up_in_cents")]
    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
