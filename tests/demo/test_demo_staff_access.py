"""The demo staff sign-ins: back-office groups over reference data only, and a useful landing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.demo.services import create_demo_accounts
from tests.audit.phi_admin_support import PHI_MODELS

pytestmark = pytest.mark.django_db


def _demo_users() -> dict[str, User]:
    users = create_demo_accounts(demo_subscriber=None, client_name="Acme Manufacturing")
    return {user.username: user for user in users}


def _labels(group: Group) -> set[str]:
    """The models whose back-office pages the group opens: Django's view/add/change/delete
    permissions. A rule permission that merely sits on a model's content type (such as
    ``accounts.must_use_second_factor``) opens no admin page."""
    return {
        f"{app_label}.{model}"
        for app_label, model, codename in group.permissions.values_list(
            "content_type__app_label", "content_type__model", "codename"
        )
        if codename.split("_", 1)[0] in {"view", "add", "change", "delete"}
    }


def test_the_demo_staff_groups_grant_nothing_on_phi() -> None:
    users = _demo_users()

    for username in ("demo-service", "demo-accountteam"):
        [group] = users[username].groups.all()
        labels = _labels(group)
        assert labels, username
        assert not labels & PHI_MODELS, username
        assert {"plans.plan", "formulary.drug", "pharmacies.pharmacy"} <= labels


def test_seeding_again_takes_back_phi_permissions_an_older_seed_granted() -> None:
    users = _demo_users()
    [group] = users["demo-service"].groups.all()
    group.permissions.add(
        *Permission.objects.filter(codename__in=["view_member", "change_mailorder"])
    )

    _demo_users()

    assert not _labels(Group.objects.get(pk=group.pk)) & PHI_MODELS


@pytest.mark.parametrize("username", ["demo-service", "demo-accountteam"])
def test_the_demo_staff_land_on_a_page_that_leads_to_the_staff_console(username: str) -> None:
    client = Client()
    client.force_login(_demo_users()[username])

    html = client.get(reverse("web:dashboard")).content.decode()

    assert f'class="button" href="{reverse("staff:home")}"' in html
    assert f'href="{reverse("admin:index")}"' in html
    assert "plans, drugs and pharmacies" in html
