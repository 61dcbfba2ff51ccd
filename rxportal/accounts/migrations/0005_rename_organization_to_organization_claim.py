"""``User.organization`` was free text anyone could type; its name now says so."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_rate_counter"),
    ]

    operations = [
        migrations.RenameField(
            model_name="user",
            old_name="organization",
            new_name="organization_claim",
        ),
    ]
