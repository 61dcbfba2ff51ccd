"""Django's admin log (LogEntry) named PHI records by their str(): a member's name, an address.

PHI admins now write the record's public id (``rxportal.audit.phi_admin``). This renames the
entries written before: the record's public id while the record exists, its primary key once
it is gone (or for the third-party models without a public id), and inline rows' text in the
change messages is blanked. The names cannot be put back, so the reverse does nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import migrations

# The models whose admins are PHI admins when this was written (the registry test holds the
# live list); later PHI admins write ids from the start.
PHI_MODELS = (
    "members.member",
    "members.familyaccessgrant",
    "prescriptions.prescription",
    "prescriptions.refillrequest",
    "prescriptions.renewalrequest",
    "claims.claim",
    "claims.accumulator",
    "orders.mailorder",
    "orders.shippingaddress",
    "pricing.pricequote",
    "accounts.user",
    "account.emailaddress",
    "mfa.authenticator",
    "usersessions.usersession",
)


def _public_ids(apps: Any, app_label: str, model_name: str, object_ids: set[str]) -> dict[str, str]:
    try:
        model = apps.get_model(app_label, model_name)
        model._meta.get_field("public_id")
    except (LookupError, FieldDoesNotExist):
        return {}
    pks = [object_id for object_id in object_ids if object_id.isdigit()]
    rows = model.objects.filter(pk__in=pks).values_list("pk", "public_id")
    return {str(pk): str(public_id) for pk, public_id in rows}


def _without_inline_text(change_message: str) -> str:
    try:
        message = json.loads(change_message)
    except ValueError:  # empty, or plain text from before Django 1.10: may name inline rows
        return ""
    if not isinstance(message, list):
        return ""
    for entry in message:
        for change in entry.values() if isinstance(entry, dict) else ():
            if isinstance(change, dict) and "object" in change:
                change["object"] = ""
    return json.dumps(message)


def name_phi_records_by_id(apps: Any, schema_editor: Any) -> None:
    log_entry = apps.get_model("admin", "LogEntry")
    content_type = apps.get_model("contenttypes", "ContentType")
    for label in PHI_MODELS:
        app_label, model_name = label.split(".")
        type_ids = list(
            content_type.objects.filter(app_label=app_label, model=model_name).values_list(
                "pk", flat=True
            )
        )
        entries = log_entry.objects.filter(content_type_id__in=type_ids)
        object_ids = set(entries.values_list("object_id", flat=True))
        if not object_ids:
            continue
        public_ids = _public_ids(apps, app_label, model_name, object_ids)
        for entry in entries.only("pk", "object_id", "change_message").iterator():
            object_id = entry.object_id or ""
            log_entry.objects.filter(pk=entry.pk).update(
                object_repr=public_ids.get(object_id, object_id)[:200],
                change_message=_without_inline_text(entry.change_message),
            )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_audit_events_are_append_only"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("members", "0002_family_access_grant"),
        ("prescriptions", "0002_refill_and_renewal_requests"),
        ("claims", "0003_paid_amounts_add_up_in_cents"),
        ("orders", "0003_reattribute_orders_to_their_patient"),
        ("pricing", "0001_price_quote"),
        ("accounts", "0003_email_addresses_for_existing_users"),
    ]

    operations = [migrations.RunPython(name_phi_records_by_id, migrations.RunPython.noop)]
