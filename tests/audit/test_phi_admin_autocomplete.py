"""The back office's autocomplete endpoint never searches a PHI admin's records.

Django's autocomplete view searches the admin of whatever model a related field points to, for
any related field (not only the ones set up as autocomplete fields), and never passes through
the PHI admins' audited pages. No PHI admin uses autocomplete fields, so the endpoint refuses
every search whose target is a PHI admin, for superusers too, and records the refusal.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent
from tests.factories import DrugFactory, MemberFactory, PrescriptionFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-Battery-Staple-2026"

# (source app label, source model, field, the PHI model it points to)
PHI_TARGETS = [
    ("claims", "claim", "member", "members.member"),
    ("orders", "mailorderline", "prescription", "prescriptions.prescription"),
    ("members", "member", "user", "accounts.user"),
]


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _autocomplete(client: Client, app_label: str, model_name: str, field: str, term: str) -> bytes:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field, "term": term},
    )
    assert response.status_code == 403
    return response.content


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(username="root.admin", password=PASSWORD, role="admin")


@pytest.fixture
def staff_with_every_permission(db: None) -> User:
    user = User.objects.create_user(
        username="ops.admin", password=PASSWORD, role="admin", is_staff=True
    )
    user.user_permissions.set(Permission.objects.all())
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(("app_label", "model_name", "field", "target"), PHI_TARGETS)
def test_a_superuser_cannot_search_phi_through_the_autocomplete(
    superuser: User, app_label: str, model_name: str, field: str, target: str
) -> None:
    member = MemberFactory(first_name="Zelda", last_name="Quixote")
    prescription = PrescriptionFactory(member=member)
    term = {"members.member": "Quixote", "prescriptions.prescription": prescription.drug.name}
    client = _signed_in(superuser)

    body = _autocomplete(client, app_label, model_name, field, term.get(target, ""))

    assert b"Quixote" not in body
    assert member.member_id.encode() not in body
    assert prescription.drug.name.encode() not in body
    [denied] = AuditEvent.objects.filter(action="phi.admin.denied")
    assert (denied.actor_id, denied.outcome, denied.subject_type, denied.subject_id) == (
        superuser.pk,
        "denied",
        target,
        "",
    )
    assert denied.details == {
        "edge": "web",
        "page": "autocomplete",
        "source": f"{app_label}.{model_name}",
        "field": field,
    }
    # What was typed into the search box is never stored.
    trail = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "Quixote" not in trail
    assert prescription.drug.name not in trail


@pytest.mark.parametrize(("app_label", "model_name", "field", "target"), PHI_TARGETS)
def test_staff_are_refused_the_phi_autocomplete_and_the_refusal_is_recorded(
    staff_with_every_permission: User, app_label: str, model_name: str, field: str, target: str
) -> None:
    MemberFactory(first_name="Zelda", last_name="Quixote")

    body = _autocomplete(
        _signed_in(staff_with_every_permission), app_label, model_name, field, "Quixote"
    )

    assert b"Quixote" not in body
    [denied] = AuditEvent.objects.filter(action="phi.admin.denied")
    assert (denied.actor_id, denied.subject_type, denied.details["page"]) == (
        staff_with_every_permission.pk,
        target,
        "autocomplete",
    )


def test_reference_autocomplete_fields_keep_working(superuser: User) -> None:
    drug = DrugFactory(name="Zenithorphan 5 MG Oral Tablet")

    response = _signed_in(superuser).get(
        reverse("admin:autocomplete"),
        {
            "app_label": "formulary",
            "model_name": "formularyentry",
            "field_name": "alternatives",
            "term": "Zenithorphan",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(drug.pk), "text": str(drug)}]
    assert not AuditEvent.objects.filter(action__startswith="phi.admin.").exists()


def test_malformed_autocomplete_requests_are_still_refused(superuser: User) -> None:
    client = _signed_in(superuser)

    assert client.get(reverse("admin:autocomplete"), {"term": "Quixote"}).status_code == 403
    assert _autocomplete(client, "claims", "claim", "no_such_field", "x") is not None
