"""Pages of the plan-design what-if, under the client's drug-trend tool.

Open to whoever holds a live drug-trend grant for the client, as the dashboard
(`selectors.get_client`): without the portal permission the audited 403, else without the
grant a 404. Thin: each view calls one selector or service and renders.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.clients.models import Client
from rxportal.clients.services import PERM_PORTAL
from rxportal.clients.views.access import permission_page
from rxportal.whatif import selectors, services
from rxportal.whatif.design import DesignChange
from rxportal.whatif.domain import WhatIfResult
from rxportal.whatif.errors import RunInProgress, WhatIfNotFound
from rxportal.whatif.forms import WhatIfForm
from rxportal.whatif.models import RunStatus, WhatIfRun

ACTION_VIEWED = "clients.whatif.viewed"
ACTION_COMPARED = "clients.whatif.compared"
# The progress page reloads itself (no JavaScript, the Refresh header) this often, in seconds.
REFRESH_SECONDS = 2

View = Callable[..., HttpResponse]


def what_if_page(view: View) -> Callable[..., HttpResponseBase]:
    """As the drug-trend dashboard: signed in, the portal permission (else the audited 403),
    a live drug-trend grant for the client (else 404), GET or POST, not cached."""

    @wraps(view)
    def checked(request: HttpRequest, client_public_id: uuid.UUID, **kwargs: Any) -> HttpResponse:
        try:
            client = selectors.get_client(viewer=request.user, client_public_id=client_public_id)
            return view(request, client, **kwargs)
        except WhatIfNotFound as error:
            raise Http404 from error

    return permission_page(PERM_PORTAL)(checked)


@what_if_page
def run_list(request: HttpRequest, client: Client) -> HttpResponse:
    runs = selectors.list_runs(client=client)
    return render(request, "whatif/list.html", {"client": client, "runs": runs})


@what_if_page
def run_new(request: HttpRequest, client: Client) -> HttpResponse:
    plans = selectors.list_plans(client=client)
    asked = request.POST.get("plan", "")
    if asked and all(str(plan.public_id) != asked for plan in plans):
        # Only a crafted request names a plan the form never offered: another client's plan
        # (or none at all) looks the same, a 404.
        raise Http404
    form = WhatIfForm(request.POST or None, plans=plans)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.start_what_if(
                client=client, plan=form.chosen_plan(), change=form.to_change(), actor=request.user
            )
        except RunInProgress as busy:
            form.add_error(None, busy.message)
        else:
            return redirect(
                "whatif:run", client_public_id=client.public_id, run_public_id=run.public_id
            )
    return render(request, "whatif/form.html", {"client": client, "form": form})


@what_if_page
def run_detail(request: HttpRequest, client: Client, run_public_id: uuid.UUID) -> HttpResponse:
    run = selectors.get_run(client=client, run_public_id=run_public_id)
    if run.status != RunStatus.DONE:
        refreshing = run.status != RunStatus.FAILED and request.GET.get("refresh") != "off"
        response = render(
            request,
            "whatif/progress.html",
            {"client": client, "run": run, "refresh": REFRESH_SECONDS, "refreshing": refreshing,
             **_progress(run)},
        )  # fmt: skip
        if refreshing:
            # The page reloads itself without JavaScript. The HTTP header, not a <meta> tag:
            # axe (WCAG 2.2.1) fails any timed meta refresh; the page says it refreshes and
            # offers to stop it (`?refresh=off`), which is what 2.2.1 asks.
            response["Refresh"] = str(REFRESH_SECONDS)
        return response
    _record_view(request, client, ACTION_VIEWED, [run])
    return render(request, "whatif/result.html", {"client": client, "run": run, **_presented(run)})


@what_if_page
def run_compare(request: HttpRequest, client: Client) -> HttpResponse:
    keys = [request.GET.get("first", ""), request.GET.get("second", "")]
    if not all(keys):
        return redirect("whatif:list", client_public_id=client.public_id)
    runs = [selectors.get_run(client=client, run_public_id=key) for key in keys]
    if any(run.status != RunStatus.DONE for run in runs):
        return redirect("whatif:list", client_public_id=client.public_id)
    _record_view(request, client, ACTION_COMPARED, runs)
    first, second = (_presented(run) for run in runs)
    rows = [
        (label, kind, a, b)
        for (label, kind, a), (_label, _kind, b) in zip(
            first["figures"], second["figures"], strict=True
        )
    ]
    return render(
        request,
        "whatif/compare.html",
        {
            "client": client,
            "columns": [
                (run, shown["change"], shown["result"])
                for run, shown in zip(runs, [first, second], strict=True)
            ],
            "rows": rows,
        },
    )


def _record_view(request: HttpRequest, client: Client, action: str, runs: list[WhatIfRun]) -> None:
    record_event(
        action=action,
        outcome=Outcome.SUCCESS,
        actor=request.user,
        request=request,
        subject=runs[0],
        details={
            "client": str(client.public_id),
            "runs": [str(run.public_id) for run in runs],
            "phi_level": False,
        },
    )


def _progress(run: WhatIfRun) -> dict[str, Any]:
    total = max(run.claims_total, 1)
    done = min(run.claims_done, total)
    return {"done": done, "total": run.claims_total, "percent": done * 100 // total}


def _presented(run: WhatIfRun) -> dict[str, Any]:
    """The stored result as the pages show it: labelled figures, drugs with their names."""
    assert run.results is not None
    result = WhatIfResult.from_json(run.results)
    names = selectors.list_drug_names([row.drug_key for row in result.top_drugs])
    figures: list[tuple[str, str, Any]] = [
        (_("Claims re-adjudicated"), "number", result.claims),
        (_("Plan cost before"), "money", result.plan_before),
        (_("Plan cost after"), "money", result.plan_after),
        (_("Member cost before"), "money", result.member_before),
        (_("Member cost after"), "money", result.member_after),
        (_("Shift to members per member per month"), "money", result.member_shift_pmpm),
        (_("Change in plan cost per member per month"), "money", result.plan_shift_pmpm),
        (_("Members with a claim"), "count", result.members_with_claims),
        (_("Members who would pay more"), "count", result.members_paying_more),
        (_("Members who would pay less"), "count", result.members_paying_less),
    ]
    return {
        "result": result,
        "figures": figures,
        "drugs": [(names.get(row.drug_key, "—"), row) for row in result.top_drugs],
        "change": DesignChange.from_json(run.inputs["change"]),
        "window": run.inputs["window"],
    }
