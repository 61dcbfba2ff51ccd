"""Re-attribute mail orders stored under whoever placed them to the patient on their lines.

Before this release the automatic-refill job placed a dependent's order under the subscriber,
and a member's refill for a family member was stored under the member who placed it. An
order's ``member`` is now its patient (every line one of their prescriptions), and who may see
it follows from that patient. Each order whose lines all carry one other person's prescriptions
is moved to that person. Orders whose lines carry several people's prescriptions are left as
they are: no single patient exists, and the read rule already hides such an order from anyone
who may not see every patient on it. Not reversible: who placed an order was never stored on
the order (the audit trail's ``order.placed`` events and the refill requests keep it).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Exists, OuterRef


def reattribute_orders_to_their_patient(apps: Any, schema_editor: Any) -> None:
    mail_order = apps.get_model("orders", "MailOrder")
    mail_order_line = apps.get_model("orders", "MailOrderLine")
    line_for_someone_else = mail_order_line.objects.filter(order=OuterRef("pk")).exclude(
        prescription__member_id=OuterRef("member_id")
    )
    # Only orders placed for someone else: few, so their ids are read before any update.
    suspects = list(
        mail_order.objects.filter(Exists(line_for_someone_else))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for order_pk in suspects:
        patients = set(
            mail_order_line.objects.filter(order_id=order_pk).values_list(
                "prescription__member_id", flat=True
            )
        )
        if len(patients) == 1:
            mail_order.objects.filter(pk=order_pk).update(member_id=patients.pop())


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_shipping_address"),
        ("prescriptions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            reattribute_orders_to_their_patient, migrations.RunPython.noop, elidable=True
        ),
    ]
