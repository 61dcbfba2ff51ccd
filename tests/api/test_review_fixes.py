"""From the hostile review of the patient binding: a stored Idempotency-Key answer is never
replayed to a token that could not see it, and a token bound to a child has no say over the
parent's account settings."""

from __future__ import annotations

import datetime as dt

import pytest

from rxportal.prescriptions.models import RefillRequest
from tests.api.conftest import ApiClient, problem
from tests.api.records_support import call, setting_fixture
from tests.api.test_refills_api import mail_refill
from tests.conftest import Family
from tests.oauth_tokens import issue_access_token
from tests.prescriptions.conftest import Setting, make_rx

__all__ = ["setting_fixture"]

pytestmark = pytest.mark.django_db

BOUND = "openid launch/patient patient/*.read refills.write notifications.write"
FAMILY_WIDE = "openid patient/*.read refills.write notifications.write"


def test_a_replay_of_a_family_wide_answer_to_a_token_bound_to_a_child_is_refused(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)  # the subscriber's own prescription
    family = setting.family
    wide = issue_access_token(family.subscriber.user, scope=FAMILY_WIDE)
    bound = issue_access_token(family.subscriber.user, scope=BOUND, patient=family.minor_child)
    key = {"HTTP_IDEMPOTENCY_KEY": "k-1"}

    first = call("POST", "/refills", wide, mail_refill(rx), **key)
    replay = call("POST", "/refills", bound, mail_refill(rx), **key)

    assert first.status_code == 201, first.content
    problem(replay, 422, "idempotency-key-reused")
    assert "Idempotent-Replayed" not in replay
    assert str(family.subscriber.public_id) not in replay.content.decode()
    assert RefillRequest.objects.count() == 1


def test_the_same_app_and_binding_still_get_their_answer_again(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    wide = issue_access_token(setting.family.subscriber.user, scope=FAMILY_WIDE)
    key = {"HTTP_IDEMPOTENCY_KEY": "k-2"}

    first = call("POST", "/refills", wide, mail_refill(rx), **key)
    again = call("POST", "/refills", wide, mail_refill(rx), **key)

    assert again.status_code == first.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_token_bound_to_a_child_neither_reads_nor_changes_the_parents_settings(
    family: Family,
) -> None:
    assert family.subscriber.user is not None
    child_app = ApiClient(
        issue_access_token(family.subscriber.user, scope=BOUND, patient=family.minor_child)
    )
    own_app = ApiClient(issue_access_token(family.subscriber.user, scope=BOUND))

    problem(child_app.get("/api/v1/notifications/preferences"), 404, "not-found")
    changed = child_app.client.patch(
        "/api/v1/notifications/preferences",
        {"quiet_hours_start": "01:00:00", "quiet_hours_end": "06:00:00"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {child_app.token}",
    )
    problem(changed, 404, "not-found")
    mine = own_app.get("/api/v1/notifications/preferences")
    assert mine.status_code == 200
    assert mine.json()["quiet_hours_start"] != "01:00:00"
