"""An index for the public directory's name search: UPPER(name) LIKE 'X%'.

The model states a plain expression index; on PostgreSQL the index is built with
text_pattern_ops instead, because a prefix LIKE can use a btree index only with that operator
class (or in the C collation). SQLite knows no operator classes: it gets the plain index.
"""

from django.db import migrations, models
from django.db.models.functions import Upper

_TABLE = "pharmacies_pharmacy"


def create_index(apps, schema_editor):
    opclass = " text_pattern_ops" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f'CREATE INDEX "pharmacy_name_prefix" ON "{_TABLE}" ((UPPER("name")){opclass})'
    )


def drop_index(apps, schema_editor):
    schema_editor.execute('DROP INDEX "pharmacy_name_prefix"')


class Migration(migrations.Migration):
    dependencies = [
        ("pharmacies", "0002_pharmacy_address_optional"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="pharmacy",
                    index=models.Index(Upper("name"), name="pharmacy_name_prefix"),
                ),
            ],
            database_operations=[migrations.RunPython(create_index, drop_index)],
        ),
    ]
