"""The family access page: what a subscriber and an adult dependent see, and the consent flow."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.members.models import FamilyAccessGrant, Member
from tests.conftest import Family
from tests.factories import UserFactory
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db

FAMILY_URL = reverse("members:family_access")
GRANT_URL = reverse("members:family_access_grant")
REVOKE_URL = reverse("members:family_access_revoke")


@pytest.fixture
def spouse(family: Family) -> Member:
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()
    return family.spouse


def _html(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("url", [FAMILY_URL, GRANT_URL, REVOKE_URL])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_non_members_get_the_member_tools_page(client: Client) -> None:
    client.force_login(UserFactory(role="client"))

    response = client.get(FAMILY_URL)

    assert response.status_code == 403
    assert "Member tools are for plan members" in _html(response)


def test_subscriber_sees_who_is_visible_and_why(client: Client, family: Family) -> None:
    grant = FamilyAccessGrantFactory(grantor=family.adult_child)
    client.force_login(family.subscriber.user)

    response = client.get(FAMILY_URL)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = _html(response)
    assert html.count("<h1") == 1
    for member in (family.spouse, family.minor_child, family.adult_child):
        assert member.full_name in html
    assert "Under 18" in html
    assert "They gave you access on" in html
    assert "ask them to grant access from their own account" in html
    assert "They first need to register" in html  # the spouse has no account
    assert 'data-reason="consent"' in html and 'data-reason="no_consent"' in html
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert event.action == "phi.family_access.viewed"
    assert event.subject_id == str(family.subscriber.public_id)
    assert event.details == {"edge": "web", "dependents": 3, "active_grant": False}
    assert str(grant.public_id) not in html


def test_subscriber_cannot_grant_on_anyones_behalf(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    assert client.get(GRANT_URL)["Location"] == FAMILY_URL
    response = client.post(GRANT_URL, follow=True)

    assert not FamilyAccessGrant.objects.exists()
    assert "Only family members on a subscriber" in _html(response)


def test_an_adult_dependent_grants_access_after_confirming(
    client: Client, family: Family, spouse: Member
) -> None:
    client.force_login(spouse.user)
    html = _html(client.get(FAMILY_URL))
    assert "Only you can see your prescriptions" in html
    assert f'href="{GRANT_URL}"' in html

    confirm = client.get(GRANT_URL)
    assert confirm.status_code == 200
    assert f"Give {family.subscriber.full_name} access to your records?" in _html(confirm)
    assert not FamilyAccessGrant.objects.exists()  # a GET changes nothing

    response = client.post(GRANT_URL, follow=True)

    assert response.redirect_chain == [(FAMILY_URL, 302)]
    html = _html(response)
    assert f"Done: {family.subscriber.first_name} can now see" in html
    assert f'href="{REVOKE_URL}"' in html
    assert FamilyAccessGrant.objects.get().grantor == spouse
    client.force_login(family.subscriber.user)
    assert 'data-reason="consent"' in _html(client.get(FAMILY_URL))


def test_a_double_submit_creates_one_grant_and_explains(
    client: Client, family: Family, spouse: Member
) -> None:
    client.force_login(spouse.user)

    client.post(GRANT_URL)
    response = client.post(GRANT_URL, follow=True)

    assert FamilyAccessGrant.objects.count() == 1
    assert "You have already given access." in _html(response)


def test_an_adult_dependent_revokes_access_after_confirming(
    client: Client, family: Family, spouse: Member
) -> None:
    FamilyAccessGrantFactory(grantor=spouse)
    client.force_login(spouse.user)

    confirm = client.get(REVOKE_URL)
    assert "access to your records?" in _html(confirm)
    response = client.post(REVOKE_URL, follow=True)

    assert "can no longer see" in _html(response)
    assert not FamilyAccessGrant.objects.filter(revoked_at__isnull=True).exists()
    assert client.get(REVOKE_URL)["Location"] == FAMILY_URL  # nothing left to revoke


def test_a_minor_is_told_the_subscriber_sees_their_records(client: Client, family: Family) -> None:
    family.minor_child.user = UserFactory(username="minor")
    family.minor_child.save()
    client.force_login(family.minor_child.user)

    html = _html(client.get(FAMILY_URL))

    assert "Because you are under 18" in html
    assert GRANT_URL not in html
    assert client.get(GRANT_URL)["Location"] == FAMILY_URL
    client.post(GRANT_URL)
    assert not FamilyAccessGrant.objects.exists()


def test_grant_and_revoke_refuse_other_methods(client: Client, spouse: Member) -> None:
    client.force_login(spouse.user)

    assert client.put(GRANT_URL).status_code == 405
    assert client.delete(REVOKE_URL).status_code == 405


def test_the_family_page_reads_within_a_query_budget(
    client: Client, family: Family, django_assert_max_num_queries
) -> None:
    FamilyAccessGrantFactory(grantor=family.spouse)
    client.force_login(family.subscriber.user)
    client.get(FAMILY_URL)  # the first request of a session also records the session itself

    # Session, user, session record: 6; member (twice), dependents, grants: 4; audit event: 4
    # (5 on PostgreSQL: the chain lock).
    with django_assert_max_num_queries(16):
        response = client.get(FAMILY_URL)

    assert response.status_code == 200
