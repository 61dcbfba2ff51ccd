"""Django's own admin log (LogEntry, the index's "Recent actions" and a record's history page)
never stores a PHI record's name: a PHI admin writes the record's public id instead, and an
inline row's public id (or primary key) instead of its text.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.test import Client, RequestFactory
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.orders.models import MailOrder, ShippingAddress
from tests.factories import MemberFactory
from tests.orders.factories import (
    MailOrderFactory,
    MailOrderLineFactory,
    ShippingAddressFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-Battery-Staple-2026"


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(username="root.admin", password=PASSWORD, role="admin")


@pytest.fixture
def client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def _address_form(member_pk: int, line1: str) -> dict[str, str]:
    return {
        "member": str(member_pk),
        "label": "",
        "name": "Quintessa Zebulon",
        "line1": line1,
        "line2": "",
        "city": "Hartford",
        "state": "CT",
        "zip_code": "06103",
        "_save": "Save",
    }


def _whole_log() -> str:
    return json.dumps(list(LogEntry.objects.values("object_repr", "change_message")))


def test_an_addition_change_and_deletion_are_logged_by_public_id(client: Client) -> None:
    member = MemberFactory(first_name="Quintessa", last_name="Zebulon")

    added = client.post(
        reverse("admin:orders_shippingaddress_add"), _address_form(member.pk, "5 Oak Avenue")
    )
    address = ShippingAddress.objects.get(member=member)
    changed = client.post(
        reverse("admin:orders_shippingaddress_change", args=[address.pk]),
        _address_form(member.pk, "22 Birch Road"),
    )
    deleted = client.post(
        reverse("admin:orders_shippingaddress_delete", args=[address.pk]), {"post": "yes"}
    )

    assert (added.status_code, changed.status_code, deleted.status_code) == (302, 302, 302)
    entries = list(LogEntry.objects.order_by("pk").values_list("action_flag", "object_repr"))
    public_id = str(address.public_id)
    assert entries == [(ADDITION, public_id), (CHANGE, public_id), (DELETION, public_id)]
    log = _whole_log()
    assert "Oak" not in log and "Birch" not in log and "Hartford" not in log


def test_a_bulk_deletion_is_logged_by_public_id(client: Client) -> None:
    addresses = ShippingAddressFactory.create_batch(2, label="", line1="9 Juniper Lane")

    done = client.post(
        reverse("admin:orders_shippingaddress_changelist"),
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [str(address.pk) for address in addresses],
            "post": "yes",
        },
    )

    assert done.status_code == 302
    assert sorted(LogEntry.objects.values_list("object_repr", flat=True)) == sorted(
        str(address.public_id) for address in addresses
    )
    assert "Juniper" not in _whole_log()


def test_the_admin_index_recent_actions_show_no_names(client: Client) -> None:
    member = MemberFactory(first_name="Quintessa", last_name="Zebulon")
    # Followed, so that the "was added" message (shown to its author, once) is behind us.
    client.post(
        reverse("admin:orders_shippingaddress_add"),
        _address_form(member.pk, "5 Oak Ave"),
        follow=True,
    )

    index = client.get(reverse("admin:index"))

    assert index.status_code == 200
    address = ShippingAddress.objects.get(member=member)
    assert str(address.public_id) in index.content.decode()
    assert "Oak" not in index.content.decode()
    assert "Hartford" not in index.content.decode()


def test_inline_rows_are_named_by_id_in_the_change_message(superuser: User) -> None:
    order = MailOrderFactory()
    added_line = MailOrderLineFactory(order=order)
    deleted_line = MailOrderLineFactory(order=order)
    model_admin = admin.site.get_model_admin(MailOrder)
    request = RequestFactory().post("/")
    request.user = superuser
    form = SimpleNamespace(changed_data=[])
    formset = SimpleNamespace(
        new_objects=[added_line], changed_objects=[], deleted_objects=[deleted_line]
    )

    message = model_admin.construct_change_message(request, form, [formset])

    assert message == [
        {"added": {"name": "mail order line", "object": str(added_line.pk)}},
        {"deleted": {"name": "mail order line", "object": str(deleted_line.pk)}},
    ]
