"""A token whose consent named one patient (SMART ``launch/patient``) reads and changes only that
patient's records on the JSON API: lists cover her alone, anyone else named is a 404, and so is
another family member's record; the inbox holds only messages about her. Without
``launch/patient`` the app sees what the family rule shows its user. Also the write scopes of
saving a quote (``quotes.write``) and of marking a message read (``notifications.write``)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from rxportal.api.api import api
from rxportal.connected_apps.models import AppConsent
from rxportal.members.selectors import (
    limit_to_patient,
    list_family_members_visible_to,
    patient_limit_scope,
)
from rxportal.notifications.models import Notification
from rxportal.notifications.selectors import count_unread
from rxportal.pricing.models import PriceQuote
from tests.api.conftest import ApiClient, World, problem
from tests.api.test_notifications_api import inbox_message
from tests.conftest import Family
from tests.factories import ClaimFactory, PrescriptionFactory
from tests.oauth_tokens import issue_access_token

pytestmark = pytest.mark.django_db

BOUND = "openid launch/patient patient/*.read refills.write notifications.write quotes.write"
FAMILY_WIDE = "openid patient/*.read refills.write notifications.write quotes.write"


def _client(family: Family, scope: str, patient: object = None) -> ApiClient:
    assert family.subscriber.user is not None
    return ApiClient(
        issue_access_token(family.subscriber.user, scope=scope, patient=patient)  # type: ignore[arg-type]
    )


def _ids(items: list[dict[str, object]]) -> set[str]:
    return {str(item["id"]) for item in items}


def test_a_token_bound_to_a_child_reads_only_her_records(family: Family) -> None:
    own_claim = ClaimFactory(member=family.subscriber)
    child_claim = ClaimFactory(member=family.minor_child)
    client = _client(family, BOUND, patient=family.minor_child)

    claims = client.get("/api/v1/claims")
    profile = client.get("/api/v1/profile")
    cards = client.get("/api/v1/coverage/id-cards")

    assert claims.status_code == 200, claims.content
    assert _ids(claims.json()["items"]) == {str(child_claim.public_id)}
    assert profile.json()["member"]["public_id"] == str(family.minor_child.public_id)
    assert [person["public_id"] for person in profile.json()["family"]] == [
        str(family.minor_child.public_id)
    ]
    assert [card["member"]["public_id"] for card in cards.json()["cards"]] == [
        str(family.minor_child.public_id)
    ]
    # The subscriber herself, and her own claim, are someone else to this token.
    problem(
        client.get("/api/v1/claims", {"member": str(family.subscriber.public_id)}), 404, "not-found"
    )
    problem(client.get(f"/api/v1/claims/{own_claim.public_id}"), 404, "not-found")
    problem(
        client.get("/api/v1/profile", {"member": str(family.subscriber.public_id)}),
        404,
        "not-found",
    )
    assert client.get(f"/api/v1/claims/{child_claim.public_id}").status_code == 200


def test_a_token_bound_to_the_member_herself_does_not_see_her_child(family: Family) -> None:
    own_claim = ClaimFactory(member=family.subscriber)
    child_claim = ClaimFactory(member=family.minor_child)
    client = _client(family, BOUND)  # the consent's patient: the subscriber

    claims = client.get("/api/v1/claims")

    assert _ids(claims.json()["items"]) == {str(own_claim.public_id)}
    problem(client.get(f"/api/v1/claims/{child_claim.public_id}"), 404, "not-found")
    child = {"member": str(family.minor_child.public_id)}
    problem(client.get("/api/v1/coverage/benefits", child), 404, "not-found")


def test_a_token_without_launch_patient_sees_the_family_as_the_web_does(family: Family) -> None:
    own_claim = ClaimFactory(member=family.subscriber)
    child_claim = ClaimFactory(member=family.minor_child)
    client = _client(family, FAMILY_WIDE)

    claims = client.get("/api/v1/claims")

    assert _ids(claims.json()["items"]) == {str(own_claim.public_id), str(child_claim.public_id)}
    child = {"member": str(family.minor_child.public_id)}
    assert client.get("/api/v1/profile", child).status_code == 200


def test_a_token_refreshed_without_launch_patient_stays_bound_to_the_consents_patient(
    family: Family,
) -> None:
    own_claim = ClaimFactory(member=family.subscriber)
    child_claim = ClaimFactory(member=family.minor_child)
    client = _client(family, FAMILY_WIDE, patient=family.minor_child)
    # The member allowed launch/patient; the app asked for less on a refresh.
    AppConsent.objects.update(scopes=BOUND)

    claims = client.get("/api/v1/claims")

    assert _ids(claims.json()["items"]) == {str(child_claim.public_id)}
    problem(client.get(f"/api/v1/claims/{own_claim.public_id}"), 404, "not-found")


def test_a_bound_tokens_inbox_holds_only_messages_about_her(family: Family) -> None:
    user = family.subscriber.user
    about_child = inbox_message(user, kind="orders.shipped", about_member=family.minor_child)
    about_mother = inbox_message(user, kind="orders.shipped", about_member=family.subscriber)
    about_account = inbox_message(user)  # a security notice: about no member
    cache.clear()
    assert count_unread(viewer=user) == 3  # the web's count, cached
    client = _client(family, BOUND, patient=family.minor_child)

    inbox = client.get("/api/v1/notifications")
    unread = client.get("/api/v1/notifications/unread-count")

    assert _ids(inbox.json()["items"]) == {str(about_child.public_id)}
    assert unread.json() == {"unread": 1}
    for hidden in (about_mother, about_account):
        problem(client.get(f"/api/v1/notifications/{hidden.public_id}"), 404, "not-found")
    assert client.post("/api/v1/notifications/mark-all-read", {}).json() == {"marked": 1}
    assert set(Notification.objects.filter(read_at__isnull=True).values_list("pk", flat=True)) == {
        about_mother.pk,
        about_account.pk,
    }
    # The web's cached count is neither replaced by the app's nor read by it.
    assert count_unread(viewer=user) == 2


def test_a_bound_token_may_not_order_a_refill_for_anyone_else(family: Family) -> None:
    mothers_rx = PrescriptionFactory(member=family.subscriber)
    client = _client(family, BOUND, patient=family.minor_child)
    body = {"lines": [{"prescription": str(mothers_rx.public_id)}], "fulfilment": "mail"}

    for request in (body, {**body, "member": str(family.subscriber.public_id)}):
        refused = client.post("/api/v1/refills", request)
        assert refused.status_code == 404, refused.content
        assert refused["Content-Type"] == "application/problem+json"
    refused = client.client.put(
        f"/api/v1/prescriptions/{mothers_rx.public_id}/auto-refill",
        {"enabled": True},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert refused.status_code == 404, refused.content
    assert refused["Content-Type"] == "application/problem+json"


def test_the_limit_lasts_one_request_and_needs_its_scope(family: Family) -> None:
    client = _client(family, BOUND, patient=family.minor_child)
    assert client.get("/api/v1/profile").status_code == 200

    # After the request, nothing is limited any more (the test runs in the same thread).
    assert len(list_family_members_visible_to(viewer=family.subscriber.user)) == 2
    with pytest.raises(RuntimeError):
        limit_to_patient(str(family.minor_child.public_id))
    with patient_limit_scope():
        limit_to_patient(str(family.minor_child.public_id))
        assert list_family_members_visible_to(viewer=family.subscriber.user) == [family.minor_child]
    assert len(list_family_members_visible_to(viewer=family.subscriber.user)) == 2


# --- Write scopes ---------------------------------------------------------------------------


def test_saving_a_quote_needs_the_quotes_write_scope(world: World) -> None:
    client = _client(world.family, "openid patient/*.read")
    body = {"drug": str(world.atorvastatin.public_id)}

    refused = problem(client.post("/api/v1/costs/quotes", body), 403, "insufficient-scope")

    assert refused["scope"] == "quotes.write"
    assert not PriceQuote.objects.exists()
    allowed = _client(world.family, "openid patient/*.read quotes.write")
    assert allowed.post("/api/v1/costs/quotes", body).status_code == 201
    assert PriceQuote.objects.count() == 1


def test_opening_a_message_with_the_read_scope_alone_leaves_it_unread(family: Family) -> None:
    message = inbox_message(family.subscriber.user, kind="orders.shipped")
    reader = _client(family, "openid patient/Communication.rs")

    opened = reader.get(f"/api/v1/notifications/{message.public_id}")

    assert opened.status_code == 200
    assert opened.json()["read_at"] is None
    message.refresh_from_db()
    assert message.read_at is None
    writer = _client(family, "openid patient/Communication.rs notifications.write")
    assert writer.get(f"/api/v1/notifications/{message.public_id}").json()["read_at"] is not None


def test_the_openapi_document_names_the_write_scopes() -> None:
    schema = api.get_openapi_schema()
    quote = schema["paths"]["/api/v1/costs/quotes"]["post"]
    message = schema["paths"]["/api/v1/notifications/{public_id}"]["get"]

    assert "quotes.write" in quote["description"]
    assert "notifications.write" in message["summary"]
