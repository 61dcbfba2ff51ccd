"""Database triggers so no code path (raw SQL, queryset.update()/delete(), admin) can change or
remove an audit event. The hash chain catches whoever drops the triggers first.

PostgreSQL: one plpgsql function raising SQLSTATE 23000 (so Django raises IntegrityError, as on
SQLite) behind a BEFORE UPDATE OR DELETE row trigger. TRUNCATE is not blocked: Django's test
flush uses it; in production the application's database role should hold only SELECT and INSERT
on this table (REVOKE UPDATE, DELETE, TRUNCATE), which also covers TRUNCATE.
SQLite: two BEFORE triggers with RAISE(ABORT, ...).
"""

from django.db import migrations

MESSAGE = "audit events are append-only"


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION audit_auditevent_forbid_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
                FOR EACH ROW EXECUTE FUNCTION audit_auditevent_forbid_change();
            """,
            params=None,  # sent as is: the % in RAISE is plpgsql's, not a query parameter
        )
    elif vendor == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"""
                CREATE TRIGGER audit_auditevent_no_{operation.lower()}
                BEFORE {operation} ON audit_auditevent
                BEGIN
                    SELECT RAISE(ABORT, '{MESSAGE} ({operation} refused)');
                END;
                """
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_auditevent_forbid_change();")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update;")
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete;")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
