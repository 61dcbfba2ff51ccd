"""The consent screen says whose records the app will see, so the member's choice is informed:
with ``launch/patient`` only the one person chosen; without it everyone the family rule shows
the member, by name, in English and Spanish. Discovery lists the write scopes."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Family
from tests.connected_apps.oauth_helpers import Pkce, authorize_url, body, make_public_app
from tests.factories import MemberFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db

FAMILY_WIDE = "openid patient/*.read"
ONE_PATIENT = "openid launch/patient patient/*.read"


@pytest.fixture
def member_client(family: Family) -> Client:
    client = Client()
    client.force_login(family.subscriber.user)
    return client


def _screen(client: Client, scope: str, language: str = "en") -> str:
    app = make_public_app(name="Pill Tracker")
    response = client.get(
        authorize_url(app, scope=scope, pkce=Pkce.new()), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return response.content.decode()


def test_without_launch_patient_the_screen_names_everyone_the_app_will_see(
    member_client: Client,
) -> None:
    page = _screen(member_client, FAMILY_WIDE)

    # The minor child is visible to the subscriber; the adults have not consented.
    assert (
        "This app can see the records of everyone whose records you may see: "
        "you and Lucia Rivera." in page
    )
    assert "Mateo" not in page and "Sam Rivera" not in page


def test_the_family_wide_sentence_lists_an_adult_who_consented_and_speaks_spanish(
    family: Family, member_client: Client
) -> None:
    FamilyAccessGrantFactory(grantor=family.adult_child, grantee=family.subscriber)

    page = _screen(member_client, FAMILY_WIDE, "es")

    assert (
        "Esta aplicación puede ver los registros de todas las personas cuyos registros usted "
        "puede ver: usted y Lucia Rivera, Mateo Rivera." in page
    )


def test_with_launch_patient_the_screen_says_only_the_chosen_person(
    member_client: Client,
) -> None:
    english = _screen(member_client, ONE_PATIENT)
    spanish = _screen(member_client, ONE_PATIENT, "es")

    assert "The app sees only the records of the one person you allow it to open" in english
    assert "everyone whose records you may see" not in english
    assert "La aplicación ve solo los registros de la persona que usted le permita" in spanish


def test_a_member_without_family_is_not_told_about_a_family(client: Client) -> None:
    alone = MemberFactory(user=UserFactory())
    client.force_login(alone.user)

    page = _screen(client, FAMILY_WIDE)

    assert "everyone whose records you may see" not in page


def test_discovery_lists_the_write_scopes(client: Client) -> None:
    document = body(client.get("/fhir/R4/.well-known/smart-configuration"))

    assert {"refills.write", "notifications.write", "quotes.write"} <= set(
        document["scopes_supported"]
    )
