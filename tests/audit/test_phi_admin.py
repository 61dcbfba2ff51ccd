"""The back office and PHI: staff are refused every PHI admin page (and the refusal is recorded);
a superuser's every look at or change of a PHI record writes an audit event with ids and counts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent
from rxportal.demo.services import create_demo_accounts
from rxportal.orders.models import ShippingAddress
from rxportal.pharmacies.models import Network
from tests.audit.phi_admin_support import PHI_MODELS, REFERENCE_MODELS, make_record
from tests.factories import (
    DrugFactory,
    MemberFactory,
    NetworkFactory,
    PrescriptionFactory,
    UserFactory,
)
from tests.orders.factories import MailOrderFactory, ShippingAddressFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-Battery-Staple-2026"


def _url(label: str, view: str, *args: Any) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def _record_urls(label: str, record: Model) -> list[str]:
    return [
        _url(label, "changelist"),
        _url(label, "add"),
        _url(label, "change", record.pk),
        _url(label, "delete", record.pk),
        _url(label, "history", record.pk),
    ]


def _subject_id(record: Model) -> str:
    return str(getattr(record, "public_id", None) or record.pk)


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def _whole_trail() -> str:
    """Every stored field of every event, as one string to search for leaked PHI."""
    rows = AuditEvent.objects.values(
        "action", "subject_type", "subject_id", "reason", "details", "user_agent"
    )
    return json.dumps(list(rows), default=str)


@pytest.fixture(params=["demo-service", "demo-accountteam", "all-permissions"])
def staff(request: pytest.FixtureRequest, db: None) -> User:
    """The demo staff sign-ins with their back-office groups, and a staff account holding every
    model permission there is (but not superuser): permissions alone never open PHI."""
    if request.param == "all-permissions":
        user = User.objects.create_user(
            username="ops.admin", password=PASSWORD, role="admin", is_staff=True
        )
        user.user_permissions.set(Permission.objects.all())
        return User.objects.get(pk=user.pk)  # fresh: no cached permissions
    users = create_demo_accounts(demo_subscriber=None, client_name="Acme Manufacturing")
    return next(user for user in users if user.username == request.param)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(username="root.admin", password=PASSWORD, role="admin")


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Staff: refused, and the refusal is recorded -----------------------------------------------


@pytest.mark.parametrize("label", sorted(PHI_MODELS))
def test_staff_are_refused_every_page_of_a_phi_admin(staff: User, label: str) -> None:
    record = make_record(label)
    client = _signed_in(staff)
    urls = _record_urls(label, record)

    for url in urls:
        assert client.get(url).status_code == 403, url

    denied = _events("phi.admin.denied")
    assert len(denied) == len(urls)
    assert {(event.actor_id, event.outcome, event.subject_type) for event in denied} == {
        (staff.pk, "denied", label)
    }


def test_staff_are_refused_the_user_admins_set_password_page(staff: User) -> None:
    member_account = UserFactory()

    response = _signed_in(staff).get(
        reverse("admin:auth_user_password_change", args=[member_account.pk])
    )

    assert response.status_code == 403
    [denied] = _events("phi.admin.denied")
    assert (denied.subject_type, denied.details) == (
        "accounts.user",
        {"page": "password", "edge": "web"},
    )


def test_the_service_center_can_no_longer_edit_a_mail_orders_ship_to(db: None) -> None:
    service = next(
        user
        for user in create_demo_accounts(demo_subscriber=None, client_name="Acme Manufacturing")
        if user.username == "demo-service"
    )
    order = MailOrderFactory(ship_to_name="Dana Rivera")
    other = MemberFactory()

    response = _signed_in(service).post(
        _url("orders.mailorder", "change", order.pk),
        {"member": other.pk, "ship_to_name": "Someone Else", "status": order.status},
    )

    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.member_id, order.ship_to_name) != (other.pk, "Someone Else")
    assert order.ship_to_name == "Dana Rivera"


def test_the_admin_index_lists_no_phi_model_for_staff(staff: User) -> None:
    html = _signed_in(staff).get(reverse("admin:index")).content.decode()

    for label in PHI_MODELS:
        assert _url(label, "changelist") not in html, label
    # Reference data stays: the demo staff read plans, drugs and pharmacies.
    for label in ("plans.plan", "formulary.drug", "pharmacies.pharmacy"):
        assert _url(label, "changelist") in html, label


@pytest.mark.parametrize("app_label", sorted({label.split(".")[0] for label in PHI_MODELS}))
def test_an_app_holding_only_phi_has_no_index_for_staff(staff: User, app_label: str) -> None:
    response = _signed_in(staff).get(reverse("admin:app_list", args=[app_label]))

    assert response.status_code == 404


@pytest.mark.parametrize("label", sorted(REFERENCE_MODELS))
def test_reference_and_configuration_admins_still_open_for_staff(label: str) -> None:
    user = User.objects.create_user(
        username="ops.admin", password=PASSWORD, role="admin", is_staff=True
    )
    user.user_permissions.set(Permission.objects.all())
    client = _signed_in(user)

    assert client.get(_url(label, "changelist")).status_code == 200
    assert client.get(_url(label, "add")).status_code == 200
    assert not AuditEvent.objects.filter(action__startswith="phi.").exists()


@pytest.mark.parametrize("username", ["demo-service", "demo-accountteam"])
def test_the_demo_staff_still_read_plans_drugs_and_pharmacies(db: None, username: str) -> None:
    users = create_demo_accounts(demo_subscriber=None, client_name="Acme Manufacturing")
    client = _signed_in(next(user for user in users if user.username == username))
    drug = DrugFactory()

    for label in ("plans.plan", "formulary.drug", "pharmacies.pharmacy"):
        assert client.get(_url(label, "changelist")).status_code == 200, label
    assert client.get(_url("formulary.drug", "change", drug.pk)).status_code == 200


# --- Superuser: every view and change is audited -----------------------------------------------


@pytest.mark.parametrize("label", sorted(PHI_MODELS))
def test_a_superusers_views_of_a_phi_admin_are_audited(superuser: User, label: str) -> None:
    record = make_record(label)
    client = _signed_in(superuser)

    assert client.get(_url(label, "changelist")).status_code == 200
    [listed] = _events("phi.admin.listed")
    assert (listed.actor_id, listed.outcome, listed.subject_type) == (
        superuser.pk,
        "success",
        label,
    )
    assert listed.subject_id == ""
    assert listed.details["results"] == type(record)._default_manager.count()

    assert client.get(_url(label, "change", record.pk)).status_code == 200
    assert client.get(_url(label, "history", record.pk)).status_code == 200
    viewed = _events("phi.admin.viewed")
    assert [(e.subject_type, e.subject_id, e.details["page"]) for e in viewed] == [
        (label, _subject_id(record), "change"),
        (label, _subject_id(record), "history"),
    ]
    assert all(event.ip_address == "127.0.0.1" for event in viewed)


def test_a_search_by_drug_name_is_audited_with_its_count_but_never_the_term(
    superuser: User,
) -> None:
    PrescriptionFactory(drug=DrugFactory(name="Atorvastatin 20 MG Oral Tablet"))
    PrescriptionFactory(drug=DrugFactory(name="Lisinopril 10 MG Oral Tablet"))
    client = _signed_in(superuser)

    response = client.get(_url("prescriptions.prescription", "changelist"), {"q": "atorvastatin"})

    assert response.status_code == 200
    assert not _events("phi.admin.listed")
    [searched] = _events("phi.admin.searched")
    assert searched.subject_type == "prescriptions.prescription"
    assert searched.details["results"] == 1
    assert "atorvastatin" not in _whole_trail().lower()


def test_a_superusers_change_is_audited_with_field_names_only(superuser: User) -> None:
    address = ShippingAddressFactory(name="Dana Rivera", line1="1 Elm Street")
    client = _signed_in(superuser)

    response = client.post(
        _url("orders.shippingaddress", "change", address.pk),
        {
            "member": address.member_id,
            "label": address.label,
            "name": "Dana Rivera",
            "line1": "22 Birch Road",
            "line2": "",
            "city": address.city,
            "state": address.state,
            "zip_code": address.zip_code,
            **({"is_default": "on"} if address.is_default else {}),
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    address.refresh_from_db()
    assert address.line1 == "22 Birch Road"
    [changed] = _events("phi.admin.changed")
    assert (changed.subject_type, changed.subject_id) == (
        "orders.shippingaddress",
        str(address.public_id),
    )
    assert changed.details == {"edge": "web", "fields": ["Address line 1"], "inline_rows": 0}
    trail = _whole_trail()
    assert "Birch" not in trail and "Elm" not in trail and "Dana" not in trail


def test_a_superusers_addition_is_audited(superuser: User) -> None:
    member = MemberFactory()
    client = _signed_in(superuser)

    response = client.post(
        _url("orders.shippingaddress", "add"),
        {
            "member": member.pk,
            "label": "Work",
            "name": "Dana Rivera",
            "line1": "5 Oak Avenue",
            "city": "Hartford",
            "state": "CT",
            "zip_code": "06103",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    address = ShippingAddress.objects.get(member=member)
    [added] = _events("phi.admin.added")
    assert (added.subject_type, added.subject_id) == (
        "orders.shippingaddress",
        str(address.public_id),
    )
    assert "Oak" not in _whole_trail()


def test_a_superusers_deletion_is_audited(superuser: User) -> None:
    address = ShippingAddressFactory()
    public_id = str(address.public_id)
    client = _signed_in(superuser)
    url = _url("orders.shippingaddress", "delete", address.pk)

    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302

    assert not ShippingAddress.objects.filter(pk=address.pk).exists()
    [viewed] = _events("phi.admin.viewed")
    assert (viewed.subject_id, viewed.details["page"]) == (public_id, "delete")
    [deleted] = _events("phi.admin.deleted")
    assert (deleted.subject_type, deleted.subject_id) == ("orders.shippingaddress", public_id)


def test_a_bulk_action_is_audited_record_by_record(superuser: User) -> None:
    addresses = ShippingAddressFactory.create_batch(2)
    client = _signed_in(superuser)
    selected = [str(address.pk) for address in addresses]
    changelist = _url("orders.shippingaddress", "changelist")

    confirm = client.post(
        changelist, {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: selected}
    )
    done = client.post(
        changelist,
        {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: selected, "post": "yes"},
    )

    assert (confirm.status_code, done.status_code) == (200, 302)
    assert not ShippingAddress.objects.exists()
    [action_used, _also_confirmed] = _events("phi.admin.action_used")
    assert action_used.details == {"edge": "web", "admin_action": "delete_selected", "selected": 2}
    deleted = _events("phi.admin.deleted")
    assert sorted(event.subject_id for event in deleted) == sorted(
        str(address.public_id) for address in addresses
    )


def test_no_event_holds_names_dates_of_birth_or_drugs(superuser: User) -> None:
    member = MemberFactory(first_name="Quintessa", last_name="Zebulon")
    PrescriptionFactory(member=member, drug=DrugFactory(name="Rosuvastatin 5 MG Oral Tablet"))
    client = _signed_in(superuser)

    client.get(_url("members.member", "changelist"), {"q": "Zebulon"})
    client.get(_url("members.member", "change", member.pk))
    client.get(_url("prescriptions.prescription", "changelist"), {"q": "rosuva"})

    trail = _whole_trail()
    assert AuditEvent.objects.filter(action__startswith="phi.admin.").count() == 3
    for phi in ("Quintessa", "Zebulon", "1980-06-15", "Rosuvastatin", "rosuva"):
        assert phi not in trail


# --- Reference data's delete pages never list people's records ---------------------------------


def test_a_reference_delete_page_counts_related_records_instead_of_naming_them(
    superuser: User,
) -> None:
    """Deleting a plan or a drug would need deleting members' records (protected): the page says
    how many, never whose (a superuser reads them in the audited PHI admins)."""
    member = MemberFactory(first_name="Quintessa", last_name="Zebulon")
    prescription = PrescriptionFactory(
        member=member, drug=DrugFactory(name="Rosuvastatin 5 MG Oral Tablet")
    )
    client = _signed_in(superuser)

    plan_page = client.get(_url("plans.plan", "delete", member.plan.pk)).content.decode()
    drug_page = client.get(_url("formulary.drug", "delete", prescription.drug.pk)).content.decode()

    assert "Zebulon" not in plan_page and member.member_id not in plan_page
    assert "Members: 1" in plan_page
    assert prescription.rx_number not in drug_page
    assert "Prescriptions: 1" in drug_page


def test_staff_deleting_reference_data_are_told_which_kinds_of_record_block_it(db: None) -> None:
    user = User.objects.create_user(
        username="ops.admin", password=PASSWORD, role="admin", is_staff=True
    )
    user.user_permissions.set(Permission.objects.all())
    member = MemberFactory(first_name="Quintessa", last_name="Zebulon")

    page = _signed_in(user).get(_url("plans.plan", "delete", member.plan.pk)).content.decode()

    assert "Zebulon" not in page and member.member_id not in page


def test_reference_data_is_still_deleted_from_its_delete_page(superuser: User) -> None:
    network = NetworkFactory()
    client = _signed_in(superuser)
    url = _url("pharmacies.network", "delete", network.pk)

    page = client.get(url)
    done = client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert str(network) in page.content.decode()
    assert done.status_code == 302
    assert not Network.objects.filter(pk=network.pk).exists()
