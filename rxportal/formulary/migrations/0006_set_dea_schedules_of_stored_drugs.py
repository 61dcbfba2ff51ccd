"""Give the drugs stored before 0005 added ``dea_schedule`` their schedule (0005 left every one
'' = not controlled, so a database migrated without import_reference_data kept every
Schedule II drug refillable). The rule and the list are import_drugs' own:
``compute_dea_schedule`` over data/reference/dea_controlled_substances.csv."""

from pathlib import Path

from django.conf import settings
from django.db import migrations

from rxportal.core.importing import CsvSource
from rxportal.formulary.domain import compute_dea_schedule
from rxportal.formulary.services import read_controlled_substance_rules

LIST_FILE = "dea_controlled_substances.csv"


def set_dea_schedules(apps, schema_editor):
    Drug = apps.get_model("formulary", "Drug")
    if not Drug.objects.exists():
        return  # a new database: import_drugs sets each schedule
    # A missing list fails the migration: better than leaving Schedule II drugs refillable.
    rules = read_controlled_substance_rules(
        CsvSource(Path(settings.RXPORTAL_REFERENCE_DATA_DIR) / LIST_FILE)
    )
    changed = []
    for drug in Drug.objects.only("pk", "name", "dea_schedule").iterator(chunk_size=1000):
        schedule = compute_dea_schedule(name=drug.name, rules=rules).value
        if drug.dea_schedule != schedule:
            drug.dea_schedule = schedule
            changed.append(drug)
    Drug.objects.bulk_update(changed, ["dea_schedule"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("formulary", "0005_drug_dea_schedule"),
    ]

    operations = [
        migrations.RunPython(set_dea_schedules, migrations.RunPython.noop, elidable=False),
    ]
