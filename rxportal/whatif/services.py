"""Writes of the plan-design what-if: start a run (or reuse one), and run it.

`start_what_if` fixes the inputs (plan, its design as stored, the change, the 12-month window
and the claims it covers), hashes them and either returns the run that already has them or
creates one and enqueues `tasks.run_what_if` after commit. `run_what_if` is the task body:
it reads the claims once, re-adjudicates them through the benefit engine
(`whatif.domain.compute_what_if`) and writes progress as it goes. Audited without PHI:
`clients.whatif.run` (public ids, hash, counts).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.clients.models import Client
from rxportal.core import clock
from rxportal.plans.models import Plan
from rxportal.plans.selectors import benefit_design_for
from rxportal.whatif import selectors
from rxportal.whatif.design import (
    DesignChange,
    apply_design_change,
    compute_inputs_hash,
    design_to_json,
)
from rxportal.whatif.domain import Window, compute_what_if, compute_window, count_member_months
from rxportal.whatif.errors import RunInProgress
from rxportal.whatif.models import RunStatus, WhatIfRun

ACTION_RUN = "clients.whatif.run"
# Progress is written about twenty times a run (never more often than every 1,000 claims).
PROGRESS_STEPS = 20
MIN_PROGRESS_EVERY = 1_000


def build_inputs(*, plan: Plan, change: DesignChange, window: Window) -> dict[str, Any]:
    return {
        "plan": str(plan.public_id),
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "design": design_to_json(benefit_design_for(plan)),
        "change": change.to_json(),
        "claims": selectors.compute_claims_fingerprint(plan=plan, window=window),
    }


def start_what_if(
    *,
    client: Client,
    plan: Plan,
    change: DesignChange,
    actor: Any,
    today: dt.date | None = None,
) -> WhatIfRun:
    """The run for these inputs: the stored one when it exists (rerun if it failed), else a
    new one, enqueued after commit. `plan` must be the client's (selectors.get_plan).
    One run at a time per client and user: each re-adjudicates a year of claims, so a new
    one while theirs is waiting or running raises `RunInProgress`."""
    window = compute_window(today or clock.today())
    inputs = build_inputs(plan=plan, change=change, window=window)
    inputs_hash = compute_inputs_hash(inputs)
    with transaction.atomic():
        run = (
            WhatIfRun.objects.select_for_update()
            .filter(client=client, inputs_hash=inputs_hash)
            .first()
        )
        reused = run is not None and run.status != RunStatus.FAILED
        if not reused:
            _refuse_when_one_is_running(client=client, actor=actor)
        if run is None:
            try:
                with transaction.atomic():
                    run = WhatIfRun.objects.create(
                        client=client, plan=plan, created_by=actor if actor.pk else None,
                        inputs=inputs, inputs_hash=inputs_hash,
                        claims_total=inputs["claims"]["count"],
                    )  # fmt: skip
            except IntegrityError:  # the same inputs started at the same moment elsewhere
                run = WhatIfRun.objects.get(client=client, inputs_hash=inputs_hash)
                reused = True
        elif not reused:
            run.status, run.claims_done, run.results = RunStatus.PENDING, 0, None
            run.save(update_fields=["status", "claims_done", "results", "updated_at"])
        record_event(
            action=ACTION_RUN,
            outcome=Outcome.SUCCESS,
            actor=actor,
            subject=run,
            details={
                "client": str(client.public_id),
                "plan": str(plan.public_id),
                "inputs_hash": inputs_hash,
                "claims": inputs["claims"]["count"],
                "reused": reused,
            },
        )
        if not reused:
            from rxportal.whatif import tasks  # tasks import this module

            transaction.on_commit(partial(tasks.run_what_if.delay, run_id=run.pk))
    return run


def _refuse_when_one_is_running(*, client: Client, actor: Any) -> None:
    # The client row is the lock: two requests at once cannot both find nothing running.
    Client.objects.select_for_update().filter(pk=client.pk).first()
    running = WhatIfRun.objects.filter(
        client=client,
        created_by=actor if actor.pk else None,
        status__in=[RunStatus.PENDING, RunStatus.RUNNING],
    )
    if running.exists():
        raise RunInProgress(
            _("Your previous what-if is still running. Wait for its result, then try again.")
        )


def run_what_if(*, run_id: int) -> WhatIfRun:
    """Re-adjudicate the run's claims and store the result. Safe to run twice: a finished
    run is left as it is."""
    run = WhatIfRun.objects.select_related("plan").get(pk=run_id)
    if run.status == RunStatus.DONE:
        return run
    plan = run.plan
    started = timezone.now()
    WhatIfRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, claims_done=0, started_at=started, updated_at=started
    )
    window = Window(
        dt.date.fromisoformat(run.inputs["window"]["start"]),
        dt.date.fromisoformat(run.inputs["window"]["end"]),
    )
    design = apply_design_change(
        benefit_design_for(plan), DesignChange.from_json(run.inputs["change"])
    )
    claims = selectors.list_claim_rows(plan=plan, window=window)

    def save_progress(done: int) -> None:
        WhatIfRun.objects.filter(pk=run.pk).update(claims_done=done, updated_at=timezone.now())

    try:
        result = compute_what_if(
            design=design,
            claims=claims,
            window=window,
            member_months=count_member_months(
                selectors.list_member_coverage(plan=plan, window=window), window
            ),
            on_progress=save_progress,
            progress_every=max(MIN_PROGRESS_EVERY, len(claims) // PROGRESS_STEPS),
        )
    except Exception:
        WhatIfRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now()
        )
        raise
    run.status = RunStatus.DONE
    run.claims_total = run.claims_done = len(claims)
    run.results = result.to_json()
    run.started_at, run.finished_at = started, timezone.now()
    run.save(
        update_fields=[
            "status", "claims_total", "claims_done", "results", "started_at", "finished_at",
            "updated_at",
        ]
    )  # fmt: skip
    return run
