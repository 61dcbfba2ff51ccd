"""The what-if pages: who gets in (a live drug-trend grant, as the dashboard), the form keeps what
was typed on an error, a run goes form -> result, progress without JavaScript, comparison."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent
from rxportal.clients.models import Client, ToolGrant
from rxportal.core import clock
from rxportal.whatif import services
from rxportal.whatif.design import DesignChange
from rxportal.whatif.domain import WhatIfResult
from rxportal.whatif.models import RunStatus, WhatIfRun
from tests.clients.conftest import approve, link, logged_in, make_user, submit
from tests.factories import ClientFactory, PlanFactory
from tests.whatif.conftest import TODAY, Book, build_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(db: None) -> Client:
    return ClientFactory(name="Acme Manufacturing")


@pytest.fixture
def globex(db: None) -> Client:
    return ClientFactory(name="Globex")


@pytest.fixture
def agent(db: None) -> User:
    return make_user("wi.accounts", "account_team")


@pytest.fixture
def linked_client_user(acme: Client, agent: User) -> User:
    user = make_user("wi.client", "client", organization_claim="Acme")
    link(user, acme, agent)
    return user


@pytest.fixture
def member_user(db: None) -> User:
    return make_user("wi.member", "member")


@pytest.fixture
def acme_book(acme: Client) -> Book:
    return build_book(acme)


@pytest.fixture
def granted(linked_client_user: User, acme: Client, agent: User) -> User:
    approve(submit(linked_client_user, acme, tool="drug-trend"), agent)
    return linked_client_user


def url(name: str, client: Client, **kwargs: Any) -> str:
    return reverse(f"whatif:{name}", kwargs={"client_public_id": client.public_id, **kwargs})


def done_run(book: Book, actor: Any, change: DesignChange, capture: Any) -> WhatIfRun:
    with capture(execute=True):
        run = services.start_what_if(
            client=book.client, plan=book.plan, change=change, actor=actor, today=TODAY
        )
    run.refresh_from_db()
    return run


def test_anonymous_is_sent_to_sign_in(acme: Client) -> None:
    response = HttpClient().get(url("list", acme))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("name", ["list", "new", "compare"])
def test_without_a_drug_trend_grant_every_page_is_a_404(
    linked_client_user: User, acme: Client, agent: User, name: str
) -> None:
    approve(submit(linked_client_user, acme, tool="eligibility"), agent)  # another tool's grant
    assert logged_in(linked_client_user).get(url(name, acme)).status_code == 404


def test_an_expired_or_revoked_grant_closes_the_pages(granted: User, acme: Client) -> None:
    http = logged_in(granted)
    assert http.get(url("list", acme)).status_code == 200

    ToolGrant.objects.filter(user=granted).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    assert http.get(url("list", acme)).status_code == 404

    ToolGrant.objects.filter(user=granted).update(
        expires_at=clock.now() + dt.timedelta(days=30), revoked_at=clock.now()
    )
    assert http.get(url("new", acme)).status_code == 404


def test_a_member_or_staff_without_a_grant_are_refused_and_recorded(
    acme: Client, member_user: User
) -> None:
    # As the drug-trend dashboard: no portal permission is the audited 403, whoever asks.
    for user in (member_user, make_user("wi.agent", "account_team")):
        assert logged_in(user).get(url("list", acme)).status_code == 403
    denied = AuditEvent.objects.filter(action="clients.page.denied", outcome="denied")
    assert denied.count() == 2
    assert {event.details["view"] for event in denied} == {"whatif:list"}


def test_another_clients_plan_and_run_are_404(
    granted: User, acme: Client, globex: Client, agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # fmt: skip
    PlanFactory(client=acme)
    foreign_plan = PlanFactory(client=globex)
    globex_book = build_book(globex, seed=3)
    foreign_run = done_run(globex_book, agent, DesignChange(deductible_individual=D(0)),
                           django_capture_on_commit_callbacks)  # fmt: skip
    http = logged_in(granted)

    posted = http.post(
        url("new", acme), {"plan": str(foreign_plan.public_id), "deductible_individual": "0"}
    )
    assert posted.status_code == 404
    assert http.get(url("run", acme, run_public_id=foreign_run.public_id)).status_code == 404
    assert http.get(url("run", globex, run_public_id=foreign_run.public_id)).status_code == 404
    compare = (
        url("compare", acme) + f"?first={foreign_run.public_id}&second={foreign_run.public_id}"
    )
    assert http.get(compare).status_code == 404
    assert not WhatIfRun.objects.filter(client=acme).exists()


def test_bad_input_shows_clear_errors_and_keeps_what_was_typed(
    granted: User, acme_book: Book
) -> None:
    response = logged_in(granted).post(
        url("new", acme_book.client),
        {
            "plan": str(acme_book.plan.public_id),
            "deductible_individual": "5000",  # above the $3,000 out-of-pocket maximum
            "copay_1": "12.50",  # no tier chosen
            "tier_2": "generic",  # neither copay nor coinsurance
            "coinsurance_3": "150",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The out-of-pocket maximum cannot be below the deductible." in page
    assert "Choose the tier this new amount is for." in page
    assert "Enter either a copay or a coinsurance for this tier." in page
    assert "Ensure this value is less than or equal to 100." in page
    assert 'value="5000"' in page and 'value="12.50"' in page and 'value="150"' in page
    assert 'aria-invalid="true"' in page
    assert not WhatIfRun.objects.exists()


def test_no_change_at_all_is_refused(granted: User, acme_book: Book) -> None:
    response = logged_in(granted).post(
        url("new", acme_book.client), {"plan": str(acme_book.plan.public_id)}
    )
    assert "Change at least one amount to see what it does." in response.content.decode()


def test_a_what_if_goes_from_the_form_to_its_result_and_is_audited(
    granted: User, acme_book: Book, django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    http = logged_in(granted)
    with django_capture_on_commit_callbacks(execute=True):
        posted = http.post(
            url("new", acme_book.client),
            {"plan": str(acme_book.plan.public_id), "tier_1": "preferred-brand",
             "channel_1": "retail_30", "copay_1": "60"},
        )  # fmt: skip
    run = WhatIfRun.objects.get()
    assert posted["Location"] == url("run", acme_book.client, run_public_id=run.public_id)

    page = http.get(posted["Location"]).content.decode()

    assert "What-if result" in page and "Most affected drugs" in page
    assert "Preferred brand, Retail, 30-day: copay $60.00" in page
    assert "Whatifdrug brand" in page
    event = AuditEvent.objects.get(action="clients.whatif.viewed")
    assert event.details == {
        "client": str(acme_book.client.public_id), "runs": [str(run.public_id)],
        "phi_level": False,
    }  # fmt: skip


def test_a_run_in_progress_shows_a_progress_bar_that_refreshes_without_javascript_until_stopped(
    granted: User, acme_book: Book
) -> None:
    run = WhatIfRun.objects.create(
        client=acme_book.client, plan=acme_book.plan, inputs={}, inputs_hash="x" * 64,
        status=RunStatus.RUNNING, claims_total=1000, claims_done=250,
    )  # fmt: skip

    page = logged_in(granted).get(url("run", acme_book.client, run_public_id=run.public_id))

    html = page.content.decode()
    assert page["Refresh"] == "2"
    assert '<progress id="whatif-progress" max="100" value="25">' in html
    assert "250 of 1000 claims priced again" in html
    assert "?refresh=off" in html

    stopped = logged_in(granted).get(
        url("run", acme_book.client, run_public_id=run.public_id) + "?refresh=off"
    )
    assert not stopped.has_header("Refresh")
    assert "This page does not refresh itself." in stopped.content.decode()


def test_two_runs_side_by_side_and_the_list_of_past_runs(
    granted: User, acme_book: Book, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    first = done_run(acme_book, granted, DesignChange(deductible_individual=D("0.00")),
                     django_capture_on_commit_callbacks)  # fmt: skip
    second = done_run(acme_book, granted, DesignChange(mail_copay_months=D("2")),
                      django_capture_on_commit_callbacks)  # fmt: skip
    http = logged_in(granted)

    listing = http.get(url("list", acme_book.client)).content.decode()
    compared = http.get(
        url("compare", acme_book.client) + f"?first={first.public_id}&second={second.public_id}"
    ).content.decode()

    assert str(first.public_id) in listing and str(second.public_id) in listing
    assert "Deductible per person: $0.00" in compared
    assert "Mail order, 90 days: 2 months of the retail copay" in compared
    assert compared.count("<tr>") >= 10
    assert AuditEvent.objects.filter(action="clients.whatif.compared").count() == 1


def test_the_pages_are_in_spanish(
    granted: User, acme_book: Book, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    run = done_run(acme_book, granted, DesignChange(deductible_individual=D("0.00")),
                   django_capture_on_commit_callbacks)  # fmt: skip
    http = logged_in(granted)
    with translation.override("es"):
        pages = [
            http.get(url("new", acme_book.client), HTTP_ACCEPT_LANGUAGE="es").content.decode(),
            http.get(url("run", acme_book.client, run_public_id=run.public_id),
                     HTTP_ACCEPT_LANGUAGE="es").content.decode(),
        ]  # fmt: skip
    assert "Pruebe un cambio en el diseño del plan" in pages[0]
    assert "Resultado de la simulación" in pages[1]


def test_a_result_of_fewer_than_eleven_members_says_its_figures_are_hidden(
    granted: User, acme_book: Book
) -> None:
    hidden = WhatIfResult(
        claims=None, warm_up_claims=None, not_priced=None, member_months=60,
        plan_before=None, plan_after=None, member_before=None, member_after=None,
        members_with_claims=None, members_paying_more=None, members_paying_less=None,
        top_drugs=(), drugs_not_shown=1,
    )  # fmt: skip
    runs = [
        WhatIfRun.objects.create(
            client=acme_book.client,
            plan=acme_book.plan,
            inputs_hash=str(n) * 64,
            status=RunStatus.DONE,
            results=hidden.to_json(),
            inputs={
                "change": DesignChange(mail_copay_months=D(n)).to_json(),
                "window": {"start": "2025-11-01", "end": "2026-10-31"},
            },
        )
        for n in (2, 3)
    ]
    http = logged_in(granted)
    compare = url("compare", acme_book.client) + (
        f"?first={runs[0].public_id}&second={runs[1].public_id}"
    )

    result = http.get(url("run", acme_book.client, run_public_id=runs[0].public_id))
    compared = http.get(compare)
    spanish = http.get(
        url("run", acme_book.client, run_public_id=runs[0].public_id), HTTP_ACCEPT_LANGUAGE="es"
    )

    assert result.status_code == compared.status_code == 200
    assert "every figure is hidden" in result.content.decode()
    assert compared.content.decode().count("every figure is hidden") == 2
    assert "$" not in result.content.decode().split("<table>")[1].split("</table>")[0]
    assert "todas las cifras están ocultas" in spanish.content.decode()


def test_a_second_what_if_while_one_runs_is_refused_keeping_what_was_typed(
    granted: User, acme_book: Book
) -> None:
    services.start_what_if(
        client=acme_book.client, plan=acme_book.plan, actor=granted, today=TODAY,
        change=DesignChange(deductible_individual=D("0.00")),
    )  # fmt: skip
    http = logged_in(granted)

    response = http.post(
        url("new", acme_book.client),
        {"plan": str(acme_book.plan.public_id), "oop_max_individual": "2500"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your previous what-if is still running." in page
    assert 'value="2500"' in page
    assert WhatIfRun.objects.count() == 1
