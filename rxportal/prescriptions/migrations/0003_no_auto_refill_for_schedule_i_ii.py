"""Automatic refills are refills: never for a Schedule I or II drug. Prescriptions switched on
before the drugs had their schedules (formulary 0006) are switched off."""

from django.db import migrations

NO_REFILL_SCHEDULES = ("CI", "CII")  # prescriptions.domain.NO_REFILL_SCHEDULES, frozen here


def turn_off_auto_refill(apps, schema_editor):
    Prescription = apps.get_model("prescriptions", "Prescription")
    Prescription.objects.filter(
        auto_refill=True, drug__dea_schedule__in=NO_REFILL_SCHEDULES
    ).update(auto_refill=False)


class Migration(migrations.Migration):
    dependencies = [
        ("prescriptions", "0002_refill_and_renewal_requests"),
        ("formulary", "0006_set_dea_schedules_of_stored_drugs"),
    ]

    operations = [
        migrations.RunPython(turn_off_auto_refill, migrations.RunPython.noop, elidable=False),
    ]
