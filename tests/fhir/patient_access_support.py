"""Fixtures for the Patient Access tests: a member's app token, and the patient a token speaks
for (what the consent screen stores; set here by wrapping ``authenticate_bearer``)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client

from rxportal.connected_apps import bearer as bearer_module
from rxportal.connected_apps.bearer import TokenGrant
from rxportal.fhir import patient_access
from rxportal.members.models import Member
from tests.oauth_tokens import bearer, issue_access_token


def choose_patient(monkeypatch: pytest.MonkeyPatch, member: Member) -> None:
    """From now on in this test, tokens speak for ``member``, as if picked at consent."""

    def authenticate(request: HttpRequest) -> TokenGrant | None:
        grant = bearer_module.authenticate_bearer(request)
        if grant is None:
            return grant
        return dataclasses.replace(grant, patient_public_id=str(member.public_id))

    monkeypatch.setattr(patient_access, "authenticate_bearer", authenticate)


def fhir_get(client: Client, url: str, token: str | None, **headers: str) -> Any:
    extra = bearer(token) if token else {}
    return client.get(url, **extra, **headers)


def body(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/fhir+json"), response["Content-Type"]
    return json.loads(response.content)


def token_for(member: Member, scope: str = "openid launch/patient patient/*.read") -> str:
    assert member.user is not None
    return issue_access_token(member.user, scope=scope)
