"""A database trigger so no code path (raw SQL, queryset.delete(), admin) can delete a claim."""

from django.db import migrations


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            """
            CREATE OR REPLACE FUNCTION claims_claim_forbid_delete() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'claims are never deleted; reverse them with a new claim';
            END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER claims_claim_no_delete BEFORE DELETE ON claims_claim
                FOR EACH ROW EXECUTE FUNCTION claims_claim_forbid_delete();
            """
        )
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            """
            CREATE TRIGGER claims_claim_no_delete BEFORE DELETE ON claims_claim
            BEGIN
                SELECT RAISE(ABORT, 'claims are never deleted; reverse them with a new claim');
            END;
            """
        )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS claims_claim_no_delete ON claims_claim;")
        schema_editor.execute("DROP FUNCTION IF EXISTS claims_claim_forbid_delete();")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS claims_claim_no_delete;")


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(create_trigger, drop_trigger)]
