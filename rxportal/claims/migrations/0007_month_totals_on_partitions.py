"""PostgreSQL: 0005's monthly-totals statement triggers on every partition of claims_claim too.

A statement trigger on the partitioned parent fires only for statements that name the parent;
an INSERT, COPY or UPDATE that names a partition (claims_claim_y2026, claims_claim_default)
fired nothing, and its claims were missing from the totals. PostgreSQL fires the statement
triggers of the table a statement names only, so a write through the parent is still counted
once. ``ensure_claim_partitions`` gives a partition it creates the same triggers.
"""

from django.db import migrations

# (trigger, event and transition tables, function): the same as 0005's on the parent.
TRIGGERS = (
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


def _partitions(cursor) -> list[str]:
    cursor.execute(
        "SELECT inhrelid::regclass::text FROM pg_inherits"
        " WHERE inhparent = 'claims_claim'::regclass ORDER BY 1"
    )
    return [name for (name,) in cursor.fetchall()]


def add_to_partitions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in _partitions(cursor):
            for name, event, function in TRIGGERS:
                # The new code's daily job may have made a partition, with them, before this ran.
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {name} {event.format(table=table)}"
                    f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )


def drop_from_partitions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in _partitions(cursor):
            for name, _event, _function in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0006_month_totals_run_as_owner")]
    operations = [migrations.RunPython(add_to_partitions, drop_from_partitions, elidable=False)]
