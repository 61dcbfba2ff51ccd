"""Request bodies over a small limit are refused with a 413 before Django reads them.

No page of the portal takes an upload, yet Django would parse (and stream to a temporary file) a
100 MB file posted anonymously to the sign-in page: CSRF checking alone reads the body. gunicorn
cannot cap bodies (its ``limit_request_*`` settings only bound the request line and headers,
see gunicorn.conf.py), so this middleware does:

- ``Content-Length`` over the limit: refused from the header alone;
- a chunked body (no ``Content-Length``; Django would otherwise see it as empty): read up to the
  limit plus one byte; over, refused; within, handed on to Django as an ordinary body;
- the limit is ``RXPORTAL_MAX_REQUEST_BODY_BYTES``, or for a signed-in user under a prefix of
  ``RXPORTAL_REQUEST_BODY_LIMITS_BY_PREFIX`` that prefix's (the CMS's uploads). Only there may an
  upload go to a temporary file; everywhere else uploads stay in memory (FILE_UPLOAD_HANDLERS).

It sits last in MIDDLEWARE: its check still runs before any view or ``process_view`` (CSRF)
touches the body, and the 413 page gets the user's language and every security header.

A refused body is read and thrown away (up to ``DRAIN_MAX_BYTES``, never stored), so that the
client, which is still sending, reads our 413 instead of a reset connection; a larger one is cut
off. Keep the reverse proxy's own limit (nginx ``client_max_body_size``) in front as well.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.core.files.uploadhandler import load_handler
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("rxportal.security")

READ_CHUNK_BYTES = 64 * 1024
DRAIN_MAX_BYTES = 8 * 1024 * 1024
# Django's own default handlers, for the prefixes allowed larger uploads.
LARGE_UPLOAD_HANDLERS = (
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
)


def request_too_large(request: HttpRequest) -> HttpResponse:
    """The branded 413 page (also Django's ``RequestDataTooBig``, via ``core.views``)."""
    response = render(request, "core/request_too_large.html", status=413)
    response["Connection"] = "close"
    return response


def body_limit_for(request: HttpRequest) -> tuple[int, bool]:
    """The byte limit for this request's body, and whether it is a raised (prefix) limit."""
    for prefix, limit in settings.RXPORTAL_REQUEST_BODY_LIMITS_BY_PREFIX.items():
        if request.path_info.startswith(prefix):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                return int(limit), True
            break
    return int(settings.RXPORTAL_MAX_REQUEST_BODY_BYTES), False


def _read_at_most(stream: IO[bytes], size: int) -> bytes:
    parts, remaining = [], size
    while remaining > 0:
        chunk = stream.read(min(READ_CHUNK_BYTES, remaining))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _discard(stream: IO[bytes], size: int) -> None:
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(READ_CHUNK_BYTES, remaining))
        if not chunk:
            return
        remaining -= len(chunk)


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit, raised = body_limit_for(request)
        wsgi_input: IO[bytes] | None = request.META.get("wsgi.input")
        length = _declared_length(request)
        if length is not None and length > limit:
            if wsgi_input is not None and length <= DRAIN_MAX_BYTES:
                _discard(wsgi_input, length)
            return self._refuse(request, length, limit)
        if length is None and _is_chunked(request) and wsgi_input is not None:
            body = _read_at_most(wsgi_input, limit + 1)
            if len(body) > limit:
                _discard(wsgi_input, DRAIN_MAX_BYTES)
                return self._refuse(request, None, limit)
            # Hand the body on as if it had come with a Content-Length.
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))  # type: ignore[assignment]
        if raised:
            request.upload_handlers = [
                load_handler(path, request) for path in LARGE_UPLOAD_HANDLERS
            ]
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, length: int | None, limit: int) -> HttpResponse:
        logger.warning(
            "request body refused: %s bytes (limit %s) for %s %s",
            "chunked" if length is None else length,
            limit,
            request.method,
            request.path_info,
        )
        return request_too_large(request)
