"""allauth refuses sign-in without a verified email row; users from before allauth had none.

Their addresses were set by staff or by seed data, so they are carried over as verified.
"""

from django.db import migrations


def add_email_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    have_rows = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=user.pk, email=user.email, verified=True, primary=True)
            for user in User.objects.exclude(email="").only("pk", "email")
            if user.pk not in have_rows
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_records"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]
    operations = [migrations.RunPython(add_email_addresses, migrations.RunPython.noop)]
