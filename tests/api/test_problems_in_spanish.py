"""Problem details are said in the caller's language (Accept-Language), their codes never change."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.api.conftest import ApiClient, World, problem
from tests.oauth_tokens import bearer

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}


def test_a_missing_token_is_explained_in_spanish_when_asked(db: None) -> None:
    response = Client().get("/api/v1/profile", **SPANISH)  # type: ignore[arg-type]

    body = problem(response, 401, "unauthorized")
    assert body["title"] == "Se necesita un token de acceso válido"
    assert body["detail"] == "Envíe un token de acceso: Authorization: Bearer <token>."
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]
    assert response["WWW-Authenticate"] == 'Bearer realm="rxportal"'  # the challenge is a code


def test_without_accept_language_problems_are_in_english(db: None) -> None:
    response = Client().get("/api/v1/profile", **bearer("not-a-token"))

    body = problem(response, 401, "unauthorized")
    assert body["title"] == "A valid access token is required"
    assert body["detail"] == "The access token is invalid, expired or revoked."
    assert response["Content-Language"] == "en"


def test_a_record_nobody_may_see_is_a_spanish_404(api: ApiClient) -> None:
    response = api.get("/api/v1/claims/00000000-0000-4000-8000-000000000000", **SPANISH)

    body = problem(response, 404, "not-found")
    assert body["title"] == "No encontrado"
    assert body["detail"] == "No hay tal reclamación que usted pueda ver."


def test_a_field_error_keeps_its_field_and_code_and_says_the_message_in_spanish(
    api: ApiClient, world: World
) -> None:
    response = api.get("/api/v1/pharmacies", **SPANISH)

    body = problem(response, 422, "validation-error")
    assert body["title"] == "La solicitud no es válida"
    [error] = body["errors"]
    assert error["field"] == "query.zip"
    assert error["code"] == "missing"
    assert error["message"] == "Indique un código postal de 5 dígitos, o lat y lon."
    assert body["detail"] == error["message"]


def test_the_rate_limit_says_when_to_come_back_in_spanish(
    api: ApiClient, world: World, settings: Any
) -> None:
    settings.RXPORTAL_API_RATE_LIMIT_PER_MINUTE = 1
    api.get("/api/v1/profile")

    response = api.get("/api/v1/profile", **SPANISH)

    body = problem(response, 429, "rate-limited")
    assert body["title"] == "Demasiadas solicitudes"
    assert body["detail"].startswith("Como máximo 1 solicitudes por minuto.")
