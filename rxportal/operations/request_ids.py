"""A request id for every request, in every log line it causes and in its response.

Behind our own reverse proxy (``RXPORTAL_TRUSTED_PROXY_COUNT`` > 0) the proxy's
``X-Request-ID`` is kept when it is well formed, so one id follows the request from the proxy's
log to ours; otherwise, or when it is not, a new one is made. The proxy must set the header
itself (nginx: ``proxy_set_header X-Request-ID $request_id;``), never pass on the client's.

The middleware also writes one access line per request: method, the view's name and URL
pattern (never the path or query string, which may carry what someone typed), status and time.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators: a UUID, nginx's 32 hex digits, a load balancer's trace
# id. Nothing that could carry an email address or a sentence into the logs.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")

_current_request_id: ContextVar[str | None] = ContextVar("rxportal_request_id", default=None)
access_logger = logging.getLogger("rxportal.access")


def current_request_id() -> str | None:
    return _current_request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_for(request: HttpRequest) -> str:
    """The trusted proxy's id when there is one and it is well formed, else a new one."""
    if settings.RXPORTAL_TRUSTED_PROXY_COUNT > 0:
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        if _WELL_FORMED.fullmatch(offered):
            return offered
    return new_request_id()


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every record (None outside a request), for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current_request_id.get()
        # Django attaches the request to its 4xx/5xx lines; a JSON formatter would print it, and
        # with it the path and query string (a person's id beside a drug's name). Never logged.
        record.__dict__.pop("request", None)
        return True


def _forget_request_id(**kwargs: object) -> None:
    _current_request_id.set(None)


# Not when the middleware returns: Django logs a 4xx/5xx response ("Not Found: ...") after the
# middleware chain, and that line must carry the id too. The request is over when it finishes.
request_finished.connect(_forget_request_id, dispatch_uid="rxportal_forget_request_id")


class RequestIdMiddleware:
    """First in MIDDLEWARE: every other middleware's log lines carry the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        _current_request_id.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        match = getattr(request, "resolver_match", None)
        access_logger.info(
            "request",
            extra={
                "method": request.method,
                "view": match.view_name if match else None,
                "route": match.route if match else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response


# --- Celery: the id travels with the task message and is the worker's while the task runs.

# The one header we add: an id matching _WELL_FORMED, nothing about the member or the request.
TASK_HEADER = "rxportal_request_id"
# task id -> what to restore when it ends (eager tasks run inside the request that sent them).
_task_tokens: dict[str, Token[str | None]] = {}


def add_request_id_to_task_headers(headers: dict[str, Any] | None = None, **_: object) -> None:
    """``before_task_publish``: the message carries the sender's id (a new one outside a
    request, so a task from beat or a shell can still be followed through the worker's lines)."""
    if headers is not None:
        headers[TASK_HEADER] = current_request_id() or new_request_id()


def _offered_by_message(task: Any) -> object:
    request = getattr(task, "request", None)
    offered = getattr(request, TASK_HEADER, None)
    if offered is None:  # headers given to apply_async(headers=...) stay nested
        offered = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return offered


def adopt_task_request_id(task_id: str | None = None, task: Any = None, **_: object) -> None:
    """``task_prerun``: the task's log lines carry the id its message brought; an eager task run
    in a request keeps the request's; anything else gets a new one. A malformed header (the
    broker is not a trusted source of log text) is replaced."""
    offered = _offered_by_message(task)
    if isinstance(offered, str) and _WELL_FORMED.fullmatch(offered):
        request_id = offered
    else:
        request_id = current_request_id() or new_request_id()
    if task_id is not None:
        _task_tokens[task_id] = _current_request_id.set(request_id)


def restore_request_id(task_id: str | None = None, **_: object) -> None:
    """``task_postrun``: back to what it was (the request's id, after an eager task)."""
    token = _task_tokens.pop(task_id, None) if task_id is not None else None
    if token is not None:
        _current_request_id.reset(token)


def connect_to_celery() -> None:
    """Called by rxportal/celery.py, in web processes (which publish) and workers (which run)."""
    from celery import signals

    signals.before_task_publish.connect(
        add_request_id_to_task_headers, weak=False, dispatch_uid="rxportal_request_id_publish"
    )
    signals.task_prerun.connect(
        adopt_task_request_id, weak=False, dispatch_uid="rxportal_request_id_prerun"
    )
    signals.task_postrun.connect(
        restore_request_id, weak=False, dispatch_uid="rxportal_request_id_postrun"
    )
