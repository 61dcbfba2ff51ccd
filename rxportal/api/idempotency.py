"""``Idempotency-Key`` for the JSON API's POSTs that place or cancel something.

The same caller, key and request within a day get the first answer again (status and body, with
``Idempotent-Replayed: true``) and nothing is done twice; the same key with another request is a
422 problem ``idempotency-key-reused``; a retry while the first request is still being answered
is a 409 problem ``idempotency-request-in-progress``. The key is claimed by inserting a row
(unique per caller and key) in a transaction of its own before any work, so two concurrent
requests cannot both go ahead. Only a successful answer is kept: when the work is refused (a
problem) or fails, the claim is released and the key may be retried.

A key is optional: without one each request is done as it comes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from rxportal.api.models import IdempotencyRecord
from rxportal.api.problems import Problem
from rxportal.core import clock

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
KEPT_FOR = dt.timedelta(hours=24)
HEADER_DESCRIPTION = (
    "Optional, recommended: a unique value (for example a UUID) chosen by the app for this "
    "request. A retry with the same key and the same body within 24 hours gets the first "
    "answer again (header Idempotent-Replayed: true) and places nothing twice; the same key "
    "with another body is refused (422 idempotency-key-reused); a retry while the first is "
    "still in progress gets 409 idempotency-request-in-progress."
)


def fingerprint(request: HttpRequest, body: Mapping[str, Any]) -> str:
    """sha256 of the app, the patient its consent binds it to, the method, the path and the
    body as canonical JSON (key order ignored). A stored answer is about whoever the first
    request could see: another app of the same member, or the same app re-consented to one
    patient, must not get it back (the key then counts as reused)."""
    grant = getattr(request, "token_grant", None)
    app = grant.client_id if grant is not None else ""
    patient = (grant.bound_patient_public_id or "") if grant is not None else ""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    text = f"{app}\n{patient}\n{request.method} {request.path}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _check_key(key: str) -> str:
    if not 1 <= len(key) <= KEY_MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise Problem(
            422,
            "idempotency-key-invalid",
            _("Invalid Idempotency-Key"),
            _("The Idempotency-Key header must be 1 to %(max)s printable ASCII characters.")
            % {"max": KEY_MAX_LENGTH},
        )
    return key


def _replay(record: IdempotencyRecord) -> JsonResponse:
    assert record.status_code is not None
    response = JsonResponse(record.response_body, status=record.status_code, safe=False)
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(*, user_id: Any, key: str, print_: str, now: dt.datetime) -> IdempotencyRecord | None:
    """Insert the in-progress row (a transaction of its own); None when the key is taken."""
    IdempotencyRecord.objects.filter(
        user_id=user_id, key=key, created_at__lt=now - KEPT_FOR
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user_id=user_id, key=key, request_fingerprint=print_, created_at=now
            )
    except IntegrityError:
        return None


def run_once(
    request: HttpRequest,
    *,
    key: str | None,
    body: Mapping[str, Any],
    perform: Callable[[str], tuple[int, Any]],
    on_replay: Callable[[], None] | None = None,
) -> JsonResponse:
    """Answer ``perform(request_fingerprint)`` once per caller and key (see the module).

    ``perform`` returns the status and a JSON-ready body; it gets the request's fingerprint so
    a service with its own idempotency key can derive it from the same request. ``on_replay``
    runs before a stored answer is given again (an answer that shows PHI is audited again).
    """
    print_ = fingerprint(request, body)
    if key is None:
        status, payload = perform(print_)
        return JsonResponse(payload, status=status, safe=False)
    key = _check_key(key)
    user_id: int = request.user.pk  # type: ignore[assignment]  # a token's user is saved
    record = _claim(user_id=user_id, key=key, print_=print_, now=clock.now())
    if record is None:
        existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if existing is None:  # released meanwhile: the caller may simply retry
            raise _in_progress()
        if existing.request_fingerprint != print_:
            raise Problem(
                422,
                "idempotency-key-reused",
                _("Idempotency-Key reused"),
                _("This Idempotency-Key was already used for a different request."),
            )
        if existing.status_code is None:
            raise _in_progress()
        if on_replay is not None:
            on_replay()
        return _replay(existing)
    try:
        status, payload = perform(print_)
    except BaseException:
        record.delete()
        raise
    record.status_code = status
    record.response_body = payload
    record.save(update_fields=["status_code", "response_body"])
    return JsonResponse(payload, status=status, safe=False)


def _in_progress() -> Problem:
    return Problem(
        409,
        "idempotency-request-in-progress",
        _("Request in progress"),
        _("A request with this Idempotency-Key is still being answered. Retry in a moment."),
        headers={"Retry-After": "1"},
    )


def purge_stale_records(*, now: dt.datetime) -> int:
    """Delete records older than a day (their keys may be used again)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - KEPT_FOR).delete()
    return deleted
