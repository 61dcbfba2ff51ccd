"""The data migration that renames PHI records in Django's existing admin log by id."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

from rxportal.accounts.models import User
from tests.factories import DrugFactory, MemberFactory
from tests.orders.factories import MailOrderFactory, ShippingAddressFactory

pytestmark = pytest.mark.django_db

_migration = importlib.import_module("rxportal.audit.migrations.0003_admin_log_names_phi_by_id")


def _logged(user: User, obj: object, flag: int, message: object = "") -> LogEntry:
    """An entry as Django's default ModelAdmin wrote it (the record's str())."""
    [entry] = LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[obj], action_flag=flag, change_message=message
    )
    return entry


def test_phi_entries_get_the_public_id_or_primary_key_and_inline_rows_lose_their_text() -> None:
    admin_user = User.objects.create_superuser(username="root.admin", password="x" * 20)
    member = MemberFactory(first_name="Quintessa", last_name="Zebulon")
    member_entry = _logged(admin_user, member, CHANGE, [{"changed": {"fields": ["Last name"]}}])
    order = MailOrderFactory(member=member)
    order_entry = _logged(
        admin_user,
        order,
        CHANGE,
        [{"added": {"name": "mail order line", "object": "Quintessa's 90 x 90 days"}}],
    )
    address = ShippingAddressFactory(member=member, label="", line1="9 Juniper Lane")
    address_pk = address.pk
    deleted_entry = _logged(admin_user, address, DELETION)
    address.delete()
    drug = DrugFactory(name="Zenithorphan 5 MG Oral Tablet")
    drug_entry = _logged(admin_user, drug, ADDITION)

    _migration.name_phi_records_by_id(apps, None)

    for entry in (member_entry, order_entry, deleted_entry, drug_entry):
        entry.refresh_from_db()
    assert member_entry.object_repr == str(member.public_id)
    assert json.loads(member_entry.change_message) == [{"changed": {"fields": ["Last name"]}}]
    assert order_entry.object_repr == str(order.public_id)
    assert json.loads(order_entry.change_message) == [
        {"added": {"name": "mail order line", "object": ""}}
    ]
    assert deleted_entry.object_repr == str(address_pk)  # the record and its public id are gone
    assert drug_entry.object_repr == str(drug)  # reference data keeps its name
    log = json.dumps(list(LogEntry.objects.values("object_repr", "change_message")))
    assert "Quintessa" not in log and "Zebulon" not in log and "Juniper" not in log
