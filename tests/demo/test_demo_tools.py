"""`make run`'s demo opens the plan sponsors' tools at once: demo-client holds live grants for
the three tools, demo-advisor waits in the account team's queue, and the drug trend of
demo-client's client shows figures (not only suppressed cells) against a prior period."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models.functions import ExtractYear
from django.test import Client as HttpClient
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.analytics.domain import PeriodKind
from rxportal.analytics.selectors import get_drug_trend
from rxportal.audit.models import AuditEvent
from rxportal.claims.models import Claim
from rxportal.clients.domain import OPEN_STAGES, Tool
from rxportal.clients.models import AccessRequest, ClientLink, ToolGrant
from rxportal.clients.services import ACTION_APPROVED, ACTION_GRANTED
from rxportal.core import clock
from rxportal.demo.services import SeedSummary, seed_demo
from rxportal.members.models import Member
from tests.demo.support import NOW, TODAY

pytestmark = pytest.mark.usefixtures("reference_data")

MAKE_RUN_MEMBERS = 200  # the Makefile's DEMO_MEMBERS
# make run seeds 105 fills a member; a quarter of that keeps the module fast and is the harder
# case for the small-cell rule (fewer members with a claim in a month).
CLAIMS_PER_MEMBER = 24


@pytest.fixture(scope="module")
def demo(reference_data: None, django_db_blocker: Any) -> Iterator[SeedSummary]:
    """`make run`'s population, seeded once for the module in a transaction rolled back at the
    end (each test runs in a savepoint inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed_demo(
            members=MAKE_RUN_MEMBERS,
            seed=1,
            claims_per_member=CLAIMS_PER_MEMBER,
            today=TODAY,
            now=NOW,
        )
        transaction.set_rollback(True)


def _home_client_id() -> int:
    user = User.objects.get(username="demo-client")
    return ClientLink.objects.get(user=user, ended_at__isnull=True).client_id


@pytest.mark.django_db
def test_demo_client_holds_a_live_grant_for_every_tool(demo: SeedSummary) -> None:
    user = User.objects.get(username="demo-client")
    now = clock.now()
    live = ToolGrant.objects.filter(
        user=user, client_id=_home_client_id(), revoked_at__isnull=True, expires_at__gt=now
    )

    assert {(grant.tool, grant.phi_level) for grant in live} == {
        (Tool.DRUG_TREND, False),
        (Tool.ELIGIBILITY, True),
        (Tool.CLAIMS_REPORTS, True),
    }
    # Made through the services: each approval and each grant is in the audit trail.
    for grant in live:
        assert AuditEvent.objects.filter(
            action=ACTION_APPROVED, subject_id=str(grant.request.public_id)
        ).exists()
        assert AuditEvent.objects.filter(
            action=ACTION_GRANTED, subject_id=str(grant.public_id)
        ).exists()


@pytest.mark.django_db
def test_demo_advisor_waits_in_the_account_teams_queue(demo: SeedSummary) -> None:
    advisor = User.objects.get(username="demo-advisor")

    pending = AccessRequest.objects.filter(requester=advisor, stage__in=OPEN_STAGES)

    assert pending.exists()
    assert {request.stage for request in pending} == {"submitted", "verifying"}


@pytest.mark.django_db
def test_demo_claims_span_two_plan_years(demo: SeedSummary) -> None:
    years = set(
        Claim.objects.filter(member__client_id=_home_client_id())
        .annotate(year=ExtractYear("service_date"))
        .values_list("year", flat=True)
        .distinct()
    )

    assert {TODAY.year - 1, TODAY.year} <= years


@pytest.mark.django_db
@pytest.mark.parametrize("period", [PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.PLAN_YEAR])
@pytest.mark.parametrize("scope", ["client", "demo family's plan"])
def test_demo_drug_trend_shows_figures_against_a_prior_period(
    demo: SeedSummary, period: PeriodKind, scope: str
) -> None:
    user = User.objects.get(username="demo-client")
    client_id = _home_client_id()
    plan_id = (
        Member.objects.get(user__username="demo-member").plan_id if scope != "client" else None
    )

    report = get_drug_trend(
        viewer=user, client_id=client_id, plan_id=plan_id, period=period, day=TODAY
    ).report

    assert not report.suppressed
    for figure in (report.members, report.utilizers, report.pmpm_total, report.pmpm_plan):
        assert figure.current is not None
        assert figure.current > 0
        assert figure.prior is not None
        assert figure.prior > 0
    assert report.decomposition.total is not None


@pytest.mark.django_db
def test_demo_client_opens_the_dashboard_with_figures(demo: SeedSummary) -> None:
    user = User.objects.get(username="demo-client")
    client = ClientLink.objects.get(user=user, ended_at__isnull=True).client
    http = HttpClient()
    http.force_login(user)

    response = http.get(
        reverse("analytics:drug_trend", args=[client.public_id]),
        {"period": "month", "day": TODAY.isoformat()},
    )

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert dashboard.suppressed is False
    [pmpm_total] = [
        line.figure
        for section in dashboard.sections
        for line in section.lines
        if line.label == "Total cost per member per month"
    ]
    assert pmpm_total.current is not None and pmpm_total.prior is not None


@pytest.mark.django_db
def test_demo_sign_ins_says_where_the_tools_and_the_queue_are(demo: SeedSummary) -> None:
    client = ClientLink.objects.get(user__username="demo-client", ended_at__isnull=True).client
    out = StringIO()

    call_command("demo_sign_ins", stdout=out)

    text = out.getvalue()
    assert f"drug trend: /clients/{client.public_id}/tools/drug-trend/" in text
    assert "eligibility lookup, claims reports" in text
    assert "account team's queue" in text
    assert "/staff/clients/" in text
