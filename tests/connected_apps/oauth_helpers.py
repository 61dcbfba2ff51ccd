"""An app's side of the authorization code flow with PKCE, for Django's test client."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client
from oauth2_provider.models import Application

REDIRECT_URI = "https://app.example.test/callback"
LOOPBACK_REDIRECT_URI = "http://127.0.0.1/callback"


def make_public_app(*, name: str = "Health app", **fields: Any) -> Application:
    defaults: dict[str, Any] = {
        "name": name,
        "client_id": secrets.token_urlsafe(16),
        "client_type": Application.CLIENT_PUBLIC,
        "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        "redirect_uris": f"{REDIRECT_URI} {LOOPBACK_REDIRECT_URI}",
        "skip_authorization": False,
        "algorithm": Application.RS256_ALGORITHM,
    }
    defaults.update(fields)
    return Application.objects.create(**defaults)


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


def authorize_params(
    app: Application,
    *,
    scope: str,
    pkce: Pkce | None,
    method: str | None = "S256",
    redirect_uri: str = REDIRECT_URI,
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "xyz-state",
    }
    if pkce is not None:
        params["code_challenge"] = pkce.challenge
        if method is not None:
            params["code_challenge_method"] = method
    return params


def authorize_url(app: Application, **kwargs: Any) -> str:
    return f"/oauth/authorize/?{urlencode(authorize_params(app, **kwargs))}"


def redirect_query(response: Any) -> dict[str, str]:
    assert response.status_code == 302, response.status_code
    return {
        key: values[0] for key, values in parse_qs(urlsplit(response["Location"]).query).items()
    }


def allow(
    client: Client, app: Application, *, scope: str, pkce: Pkce, patient: str = "", deny=False
) -> Any:
    """The member's answer on the consent screen (what the page's form posts)."""
    data = {**authorize_params(app, scope=scope, pkce=pkce), "patient": patient}
    if not deny:
        data["allow"] = "on"
    return client.post("/oauth/authorize/", data)


def get_code(client: Client, app: Application, *, scope: str, pkce: Pkce, patient: str = "") -> str:
    page = client.get(authorize_url(app, scope=scope, pkce=pkce))
    assert page.status_code == 200
    return redirect_query(allow(client, app, scope=scope, pkce=pkce, patient=patient))["code"]


def exchange(client: Client, app: Application, *, code: str, verifier: str) -> Any:
    return client.post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
    )


def refresh(client: Client, app: Application, refresh_token: str) -> Any:
    return client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app.client_id},
    )


def body(response: Any) -> dict[str, Any]:
    return json.loads(response.content)  # type: ignore[no-any-return]


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]
