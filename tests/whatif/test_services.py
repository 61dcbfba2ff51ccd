"""Starting and running a what-if: stored runs, reuse of the same inputs, audit, progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest

from rxportal.audit.models import AuditEvent
from rxportal.claims.models import Claim
from rxportal.whatif import services
from rxportal.whatif.design import DesignChange
from rxportal.whatif.domain import WhatIfResult
from rxportal.whatif.errors import RunInProgress
from rxportal.whatif.models import RunStatus, WhatIfRun
from tests.clients.conftest import make_user
from tests.factories import ClaimFactory
from tests.whatif.conftest import TODAY, Book

pytestmark = pytest.mark.django_db
CHANGE = DesignChange(deductible_individual=D("100.00"))


@pytest.fixture
def analyst(db: None) -> Any:
    return make_user("whatif.analyst", "account_team")


def start(book: Book, actor: Any, change: DesignChange = CHANGE) -> WhatIfRun:
    return services.start_what_if(
        client=book.client, plan=book.plan, change=change, actor=actor, today=TODAY
    )


def test_a_run_is_enqueued_after_commit_and_stores_its_result(
    book: Book, analyst: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = start(book, analyst)
        assert run.status == RunStatus.PENDING  # nothing runs before commit

    run.refresh_from_db()
    assert len(callbacks) == 1
    assert run.status == RunStatus.DONE
    assert run.claims_done == run.claims_total == len(book.fills)
    assert run.started_at is not None and run.finished_at is not None
    result = WhatIfResult.from_json(run.results or {})
    assert result.claims == len(book.in_window())
    assert result.member_after < result.member_before  # a lower deductible
    assert run.inputs["window"] == {"start": "2025-12-01", "end": "2026-11-30"}
    assert run.inputs["change"]["deductible_individual"] == "100.00"
    event = AuditEvent.objects.get(action=services.ACTION_RUN)
    assert event.details["reused"] is False
    assert event.details["plan"] == str(book.plan.public_id)
    assert event.subject_id == str(run.public_id)


def test_the_same_inputs_reuse_the_stored_run_and_a_new_claim_makes_a_new_one(
    book: Book, analyst: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = start(book, analyst)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = start(book, analyst)

    assert again.pk == first.pk and callbacks == []
    assert list(
        AuditEvent.objects.filter(action=services.ACTION_RUN)
        .order_by("id")
        .values_list("details__reused", flat=True)
    ) == [False, True]

    fill = book.fills[-1]
    ClaimFactory(
        member=fill.member, plan=book.plan, drug=fill.drug, service_date=dt.date(2026, 11, 30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        after_load = start(book, analyst)
    assert after_load.pk != first.pk
    assert after_load.claims_total == first.claims_total + 1


def test_another_change_is_another_run(
    book: Book, analyst: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = start(book, analyst)
    with django_capture_on_commit_callbacks(execute=True):
        second = start(book, analyst, DesignChange(oop_max_individual=D("2000.00")))

    assert first.inputs_hash != second.inputs_hash
    assert WhatIfRun.objects.filter(client=book.client).count() == 2


def test_a_failed_run_is_run_again_when_asked_again(
    book: Book, analyst: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = start(book, analyst)
    WhatIfRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, results=None)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = start(book, analyst)

    again.refresh_from_db()
    assert again.pk == run.pk and len(callbacks) == 1
    assert again.status == RunStatus.DONE and again.results is not None


def test_running_a_finished_run_twice_changes_nothing(
    book: Book, analyst: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = start(book, analyst)
    run.refresh_from_db()

    again = services.run_what_if(run_id=run.pk)

    assert again.results == run.results and again.finished_at == run.finished_at


def test_the_same_inputs_give_the_same_answer(
    book: Book, analyst: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = start(book, analyst)
    run.refresh_from_db()
    stored = run.results
    WhatIfRun.objects.filter(pk=run.pk).update(status=RunStatus.PENDING, results=None)

    services.run_what_if(run_id=run.pk)

    run.refresh_from_db()
    assert run.results == stored
    assert Claim.objects.filter(plan=book.plan).count() > run.claims_total  # rejects etc. left out


def test_one_run_at_a_time_per_client_and_user(
    book: Book, analyst: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    colleague = make_user("whatif.colleague", "account_team")
    first = start(book, analyst)  # pending: not run yet
    other = DesignChange(oop_max_individual=D("2000.00"))

    assert start(book, analyst).pk == first.pk  # the same inputs: the same run, no new work
    with pytest.raises(RunInProgress):
        start(book, analyst, other)
    WhatIfRun.objects.filter(pk=first.pk).update(status=RunStatus.RUNNING)
    with pytest.raises(RunInProgress):
        start(book, analyst, other)
    assert start(book, colleague, other).pk != first.pk  # someone else's run is theirs

    WhatIfRun.objects.filter(pk=first.pk).update(status=RunStatus.DONE)
    third = DesignChange(mail_copay_months=D("2"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        new = start(book, analyst, third)  # once it is done, the next one may start
    assert new.pk != first.pk and len(callbacks) == 1
