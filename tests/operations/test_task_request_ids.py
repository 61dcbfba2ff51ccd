"""A Celery task carries the id of the request that enqueued it, in a message header, and the
worker's JSON log lines for it show that id; a task sent outside a request gets its own."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.module_loading import import_string

from rxportal.celery import app as portal_app
from rxportal.operations import request_ids
from rxportal.operations.request_ids import (
    TASK_HEADER,
    RequestIdLogFilter,
    RequestIdMiddleware,
    current_request_id,
)

HEX_ID = re.compile(r"[0-9a-f]{32}")
task_logger = logging.getLogger("rxportal.tests.tasks")


@portal_app.task(name="tests.operations.log_a_line")
def log_a_line() -> str | None:
    task_logger.warning("a task's line")
    return current_request_id()


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the portal's JSON handler (settings.LOGGING) writes, as one string to parse."""
    spec = dict(settings.LOGGING["formatters"]["json"])
    formatter = import_string(spec.pop("()"))(**spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdLogFilter())
    watched = [task_logger, logging.getLogger("celery.app.trace")]
    levels = [logger.level for logger in watched]
    for logger in watched:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger, level in zip(watched, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _a_request_that_enqueues(task: Any) -> HttpResponse:
    def view(request: HttpRequest) -> HttpResponse:
        task.delay()
        return HttpResponse("queued")

    try:
        return RequestIdMiddleware(view)(RequestFactory().get("/"))
    finally:
        request_ids._forget_request_id()  # what request_finished does once the response is sent


# --- The signal handlers, called directly ---------------------------------------------------------


def test_the_published_message_carries_the_requests_id_and_nothing_else() -> None:
    token = request_ids._current_request_id.set("5f0c2f1e9a8b4c7d8e6f5a4b3c2d1e0f")
    headers: dict[str, object] = {"task": "x", "id": "t-1"}
    try:
        request_ids.add_request_id_to_task_headers(headers=headers, body=("args",))
    finally:
        request_ids._current_request_id.reset(token)

    assert headers == {"task": "x", "id": "t-1", TASK_HEADER: "5f0c2f1e9a8b4c7d8e6f5a4b3c2d1e0f"}


def test_a_message_sent_outside_a_request_gets_an_id_of_its_own() -> None:
    assert current_request_id() is None
    first: dict[str, object] = {}
    second: dict[str, object] = {}

    request_ids.add_request_id_to_task_headers(headers=first)
    request_ids.add_request_id_to_task_headers(headers=second)

    assert HEX_ID.fullmatch(str(first[TASK_HEADER]))
    assert first[TASK_HEADER] != second[TASK_HEADER]


def test_the_worker_adopts_the_messages_id_while_the_task_runs_then_forgets_it() -> None:
    task = SimpleNamespace(request=SimpleNamespace(**{TASK_HEADER: "proxy-id.1234-abcd"}))

    request_ids.adopt_task_request_id(task_id="t-2", task=task)
    during = current_request_id()
    request_ids.restore_request_id(task_id="t-2", task=task)

    assert during == "proxy-id.1234-abcd"
    assert current_request_id() is None


@pytest.mark.parametrize("offered", [None, "dana.rivera@example.org", "id\nforged line", 42])
def test_a_missing_or_malformed_header_is_replaced_by_a_new_id(offered: object) -> None:
    task = SimpleNamespace(request=SimpleNamespace(headers={TASK_HEADER: offered}))

    request_ids.adopt_task_request_id(task_id="t-3", task=task)
    during = current_request_id()
    request_ids.restore_request_id(task_id="t-3", task=task)

    assert during is not None and HEX_ID.fullmatch(during)


# --- Eager tasks (the tests' and the single-process default) ---------------------------------------


def test_an_eager_task_sent_by_a_request_logs_the_requests_id(json_lines: io.StringIO) -> None:
    response = _a_request_that_enqueues(log_a_line)

    (line,) = [r for r in _records(json_lines) if r["message"] == "a task's line"]
    assert line["request_id"] == response["X-Request-ID"]
    assert current_request_id() is None  # the request is over: nothing left behind


def test_an_eager_task_outside_a_request_logs_an_id_of_its_own(json_lines: io.StringIO) -> None:
    first = log_a_line.delay().get()
    second = log_a_line.delay().get()

    lines = [r for r in _records(json_lines) if r["message"] == "a task's line"]
    assert [line["request_id"] for line in lines] == [first, second]
    assert HEX_ID.fullmatch(first) and first != second
    assert current_request_id() is None


# --- A real worker (in a thread, on an in-memory broker) -------------------------------------------

worker_app = Celery("rxportal-request-id-test", broker="memory://", set_as_current=False)
worker_app.conf.update(
    task_always_eager=False, worker_hijack_root_logger=False, task_default_queue="request-ids"
)


@worker_app.task(name="tests.operations.worker_log_a_line")
def worker_log_a_line() -> None:
    task_logger.warning("a task's line")


def test_a_worker_logs_the_id_of_the_request_that_sent_the_task(json_lines: io.StringIO) -> None:
    with start_worker(worker_app, pool="solo", perform_ping_check=False, loglevel="INFO"):
        response = _a_request_that_enqueues(worker_log_a_line)
        deadline = time.monotonic() + 20
        while not [r for r in _records(json_lines) if r["logger"] == "celery.app.trace"]:
            assert time.monotonic() < deadline, json_lines.getvalue()
            time.sleep(0.05)

    records = _records(json_lines)
    (line,) = [r for r in records if r["message"] == "a task's line"]
    assert line["request_id"] == response["X-Request-ID"]
    # Celery's own "Task ... succeeded" line for it too.
    (done,) = [r for r in records if r["logger"] == "celery.app.trace"]
    assert done["request_id"] == response["X-Request-ID"]
