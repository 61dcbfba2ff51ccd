"""SMART scope rules and the bearer token check every API edge relies on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory
from oauth2_provider.models import AccessToken

from rxportal.connected_apps.bearer import authenticate_bearer
from rxportal.connected_apps.scopes import allows_read
from tests.factories import MemberFactory, UserFactory
from tests.oauth_tokens import bearer, issue_access_token


@pytest.mark.parametrize(
    ("scopes", "resource_type", "search", "allowed"),
    [
        (["patient/*.read"], "ExplanationOfBenefit", False, True),
        (["patient/*.read"], "Coverage", True, True),
        (["patient/*.rs"], "Patient", True, True),
        (["patient/Patient.r"], "Patient", False, True),
        (["patient/Patient.r"], "Patient", True, False),
        (["patient/Patient.s"], "Patient", True, True),
        (["patient/Coverage.read"], "Patient", False, False),
        (["user/*.read"], "Patient", False, False),
        (["patient/*.write"], "Patient", False, False),
        (["patient/*.sr"], "Patient", False, False),  # v2 letters must keep c r u d s order
        (["patient/*.cruds"], "Claim", True, True),
        (["openid", "fhirUser"], "Patient", False, False),
    ],
)
def test_allows_read_follows_smart_v1_and_v2(
    scopes: list[str], resource_type: str, search: bool, allowed: bool
) -> None:
    assert allows_read(scopes, resource_type, search=search) is allowed


@pytest.mark.django_db
def test_a_live_token_authenticates_with_its_scopes() -> None:
    user = MemberFactory(user=UserFactory()).user
    token = issue_access_token(user, scope="openid patient/Patient.rs")
    grant = authenticate_bearer(RequestFactory().get("/api/v1/profile", **bearer(token)))
    assert grant is not None
    assert grant.user == user
    assert grant.scopes == {"openid", "patient/Patient.rs"}
    assert grant.allows_read("Patient") and not grant.allows_read("Coverage")


@pytest.mark.django_db
def test_expired_unknown_absent_and_inactive_tokens_are_refused() -> None:
    user = MemberFactory(user=UserFactory()).user
    expired = issue_access_token(user, expires_in=dt.timedelta(seconds=-1))
    factory = RequestFactory()
    assert authenticate_bearer(factory.get("/", **bearer(expired))) is None
    assert authenticate_bearer(factory.get("/", **bearer("not-a-token"))) is None
    assert authenticate_bearer(factory.get("/")) is None
    live = issue_access_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert authenticate_bearer(factory.get("/", **bearer(live))) is None
    assert AccessToken.objects.count() == 2
