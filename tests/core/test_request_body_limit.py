"""Request bodies are capped before Django reads them: a clear, branded 413, never a file on disk.

No page of the portal takes an upload, so the limit (``RXPORTAL_MAX_REQUEST_BODY_BYTES``) is
small everywhere; ``RXPORTAL_REQUEST_BODY_LIMITS_BY_PREFIX`` raises it for signed-in users under
a path prefix (the CMS's document and image uploads, later).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.test.client import encode_multipart
from django.urls import reverse

from rxportal.settings import base
from tests.accounts.test_signin_support import fresh_cache, is_question_page  # noqa: F401
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

LIMIT = 64 * 1024
BOUNDARY = "rxportal-test-boundary"
HEADING = "What you sent is too large"
HEADING_ES = "Lo que envió es demasiado grande"


@pytest.fixture(autouse=True)
def small_limit(settings) -> None:
    settings.RXPORTAL_MAX_REQUEST_BODY_BYTES = LIMIT
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.RXPORTAL_REQUEST_BODY_LIMITS_BY_PREFIX = {}


def _multipart_upload(size: int) -> bytes:
    upload = io.BytesIO(b"x" * size)
    upload.name = "statement.pdf"
    return encode_multipart(BOUNDARY, {"username": "dana", "file": upload})


def _post_multipart(client: Client, path: str, size: int, **extra: Any):
    return client.generic(
        "POST",
        path,
        _multipart_upload(size),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **extra,
    )


def test_the_settings_cap_bodies_and_never_stream_uploads_to_temporary_files() -> None:
    assert base.RXPORTAL_MAX_REQUEST_BODY_BYTES == 1024 * 1024
    assert base.DATA_UPLOAD_MAX_MEMORY_SIZE == base.RXPORTAL_MAX_REQUEST_BODY_BYTES
    assert base.FILE_UPLOAD_MAX_MEMORY_SIZE == base.RXPORTAL_MAX_REQUEST_BODY_BYTES
    assert base.FILE_UPLOAD_HANDLERS == ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
    assert "rxportal.core.middleware.RequestBodyLimitMiddleware" in base.MIDDLEWARE


def test_an_anonymous_upload_to_the_sign_in_page_over_the_limit_is_refused_with_413(
    client: Client,
) -> None:
    response = _post_multipart(client, reverse("account_login"), LIMIT * 2)

    assert response.status_code == 413
    assert HEADING in response.content.decode()
    assert response.headers["Connection"] == "close"


def test_a_declared_huge_body_is_refused_from_its_header_without_reading_it(
    client: Client,
) -> None:
    # 100 MB announced, a few bytes sent: reading the body would fail the test client's stream.
    response = client.post(
        reverse("account_login"),
        "username=dana",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )

    assert response.status_code == 413


def test_the_413_page_speaks_spanish(client: Client) -> None:
    response = _post_multipart(
        client, reverse("account_login"), LIMIT * 2, HTTP_ACCEPT_LANGUAGE="es"
    )

    assert response.status_code == 413
    page = response.content.decode()
    assert HEADING_ES in page
    assert 'lang="es"' in page


def test_a_body_at_the_limit_still_reaches_the_page(client: Client) -> None:
    body = "username=dana&pad=" + "x" * (LIMIT - len("username=dana&pad="))
    assert len(body) == LIMIT

    response = client.post(
        reverse("account_login"), body, content_type="application/x-www-form-urlencoded"
    )

    # On to the next step (the username POST answers with its page): the body was read.
    assert is_question_page(response)


def _chunked(client: Client, body: bytes):
    # gunicorn hands Django a chunked body with no CONTENT_LENGTH; Django alone reads nothing.
    return client.generic(
        "POST",
        reverse("account_login"),
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body)},
    )


def test_a_chunked_body_over_the_limit_is_refused(client: Client) -> None:
    response = _chunked(client, b"username=dana&pad=" + b"x" * (LIMIT * 3))

    assert response.status_code == 413


def test_a_chunked_body_under_the_limit_is_read_as_usual(client: Client) -> None:
    response = _chunked(client, b"username=dana")

    assert is_question_page(response)  # the username step read "dana" and moved on


def test_an_upload_under_the_limit_never_touches_the_disk(
    client: Client, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Below Django's in-memory size a file stays in memory anyway; above it (forced small here)
    # Django's default handlers would stream it to a temporary file.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    temporary_files: list[str] = []
    original = TemporaryFileUploadHandler.new_file

    def spy(self: TemporaryFileUploadHandler, *args: Any, **kwargs: Any) -> None:
        temporary_files.append(str(args[1] if len(args) > 1 else kwargs.get("file_name")))
        original(self, *args, **kwargs)

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", spy)

    response = _post_multipart(client, reverse("account_login"), LIMIT // 2)

    assert is_question_page(response)
    assert temporary_files == []


def test_request_data_too_big_from_django_is_a_413_too(client: Client, settings) -> None:
    # Our limit generous, Django's smaller: Django's RequestDataTooBig answers (handler400).
    settings.RXPORTAL_MAX_REQUEST_BODY_BYTES = LIMIT * 4
    body = "username=dana&pad=" + "x" * (LIMIT * 2)

    response = client.post(
        reverse("account_login"), body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert HEADING in response.content.decode()


def test_other_bad_requests_stay_400(client: Client) -> None:
    response = client.get(reverse("account_login"), HTTP_HOST="not-allowed.example")

    assert response.status_code == 400


def test_a_prefix_limit_applies_to_signed_in_users_only(client: Client, settings) -> None:
    settings.RXPORTAL_REQUEST_BODY_LIMITS_BY_PREFIX = {"/cms/": LIMIT * 8}
    size = LIMIT * 2

    anonymous = _post_multipart(client, "/cms/documents/add/", size)
    client.force_login(UserFactory(is_staff=True))
    signed_in = _post_multipart(client, "/cms/documents/add/", size)
    elsewhere = _post_multipart(client, reverse("account_login"), size)
    too_big_even_there = _post_multipart(client, "/cms/documents/add/", LIMIT * 9)

    assert anonymous.status_code == 413
    assert signed_in.status_code != 413
    assert elsewhere.status_code == 413
    assert too_big_even_there.status_code == 413
