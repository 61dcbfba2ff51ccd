"""The drug-trend dashboard page: open only with a live drug-trend grant, figures from the
rollups (never the claims table), suppression said on the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.analytics.domain import PeriodKind
from rxportal.analytics.selectors import get_drug_trend
from rxportal.analytics.services import rebuild_claim_rollups
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from tests.analytics.conftest import ClaimsSet
from tests.clients.conftest import approve, link, logged_in, make_user, submit
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(claims_set: ClaimsSet) -> User:
    agent = make_user("alex.agent", "account_team")
    user = make_user("casey.client", "client")
    link(user, claims_set.client, agent)
    approve(submit(user, claims_set.client, tool="drug-trend"), agent)
    return user


def url(claims_set: ClaimsSet, **query: str) -> str:
    base = reverse("clients:tool", args=[claims_set.client.public_id, "drug-trend"])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_dashboard_shows_the_selectors_figures_and_is_audited(
    claims_set: ClaimsSet, owner: User
) -> None:
    rebuild_claim_rollups(client_id=claims_set.client.pk)
    expected = get_drug_trend(
        viewer=owner,
        client_id=claims_set.client.pk,
        plan_id=claims_set.plan.pk,
        period=PeriodKind.MONTH,
        day=dt.date(2026, 2, 1),
    ).report

    http = logged_in(owner)
    with CaptureQueriesContext(connection) as queries:
        response = http.get(
            url(claims_set, plan=str(claims_set.plan.public_id), period="month", day="2026-02-01")
        )

    assert response.status_code == 200
    html = response.content.decode()
    assert expected.pmpm_total.current is not None
    assert f"${expected.pmpm_total.current:,.2f}" in html
    # One member has specialty claims: that share describes fewer than 11 members.
    assert expected.specialty_share.suppressed
    assert (
        'Specialty share of cost</th>\n    <td colspan="3">Not shown: fewer than 11 members' in html
    )
    assert "CMS small-cell rule" in html
    assert not any("claims_claim" in q["sql"] for q in queries.captured_queries)
    assert len(queries.captured_queries) <= 24, [q["sql"][:80] for q in queries.captured_queries]
    assert AuditEvent.objects.filter(action="clients.tool.opened").count() == 1


def test_no_grant_expired_revoked_or_another_clients_plan_is_not_found(
    claims_set: ClaimsSet, owner: User
) -> None:
    stranger = make_user("sam.stranger", "client")
    assert logged_in(stranger).get(url(claims_set)).status_code == 404

    other_plan = PlanFactory()
    response = logged_in(owner).get(url(claims_set, plan=str(other_plan.public_id)))
    assert str(other_plan.public_id) not in response.content.decode().split("<form")[0]

    grant: Any = owner.tool_grants.get()
    grant.expires_at = clock.now() - dt.timedelta(seconds=1)
    grant.save(update_fields=["expires_at"])
    assert logged_in(owner).get(url(claims_set)).status_code == 404

    grant.expires_at = clock.now() + dt.timedelta(days=30)
    grant.revoked_at = clock.now()
    grant.save(update_fields=["expires_at", "revoked_at"])
    assert logged_in(owner).get(url(claims_set)).status_code == 404


def test_the_dashboard_reads_in_spanish(claims_set: ClaimsSet, owner: User) -> None:
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    response = logged_in(owner).get(
        url(claims_set, day="2026-02-01"), headers={"accept-language": "es"}
    )

    html = response.content.decode()
    assert "Tendencia de medicamentos" in html
    assert "No se muestra: menos de 11 miembros" in html
    assert "regla de celdas pequeñas de CMS" in html
