"""PostgreSQL: the pg_trgm extension, a GIN trigram index on the drug search terms (the `%`
operator) and a pattern-ops B-tree (LIKE 'prefix%' whatever the collation); then the search
index is built from the drugs already loaded (on every database).

Guarded by vendor instead of django.contrib.postgres operations, so the app needs neither
that app in INSTALLED_APPS nor a PostgreSQL server. SQLite uses the DrugSearchTrigram table.
"""

from django.db import migrations

INDEX = "formulary_search_term_trgm"
PREFIX_INDEX = "formulary_search_term_prefix"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON formulary_drugsearchterm "
        "USING gin (term gin_trgm_ops)"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {PREFIX_INDEX} ON formulary_drugsearchterm "
        "(term varchar_pattern_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    # The extension stays: other schemas or apps may use it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {PREFIX_INDEX}")


def build_search_index(apps, schema_editor):
    from rxportal.formulary.services import build_drug_search_index

    build_drug_search_index(
        drug_model=apps.get_model("formulary", "Drug"),
        name_model=apps.get_model("formulary", "DrugSearchName"),
        term_model=apps.get_model("formulary", "DrugSearchTerm"),
        trigram_model=apps.get_model("formulary", "DrugSearchTrigram"),
        vendor=schema_editor.connection.vendor,
    )


class Migration(migrations.Migration):
    dependencies = [("formulary", "0002_drug_search")]
    operations = [
        migrations.RunPython(create_trigram_index, drop_trigram_index),
        migrations.RunPython(build_search_index, migrations.RunPython.noop),
    ]
