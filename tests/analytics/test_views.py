"""The drug-trend dashboard page and its CSV and PDF: open only with a live drug-trend grant,
figures from the rollups (never the claims table), suppression said on the page and kept in the
files, every opening and download audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.analytics.domain import PeriodKind
from rxportal.analytics.models import DrugMonthRollup, PeriodMemberRollup
from rxportal.analytics.selectors import get_drug_trend
from rxportal.analytics.services import rebuild_claim_rollups
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.plans.models import Tier
from tests.analytics.conftest import ClaimsSet, add_claim
from tests.claims.test_views import _pdf_text as pdf_text
from tests.clients.conftest import logged_in, make_user
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

FEBRUARY = {"period": "month", "day": "2026-02-01"}
SUPPRESSED = "Not shown: fewer than 11 members"


@pytest.fixture
def brand_claims(claims_set: ClaimsSet) -> ClaimsSet:
    """Members 1-11 also fill brand B (class Diabetes, preferred brand, 30 days): January $100.00
    (plan 90.00 + member 10.00), February $110.00 (plan 99.00 + member 11.00). February's
    drugs: G $495.00 (11 members), S $1200.00 (1 member: hidden, and G with it as the smallest
    other), B $1210.00 (11 members) against $1100.00 in January."""
    for member in claims_set.members[:11]:
        for day, plan_paid, member_paid in (
            (dt.date(2026, 1, 12), "90.00", "10.00"),
            (dt.date(2026, 2, 12), "99.00", "11.00"),
        ):
            add_claim(
                member,
                claims_set.brand,
                day,
                plan_paid=D(plan_paid),
                member_paid=D(member_paid),
                tier=Tier.PREFERRED_BRAND,
            )
    return claims_set


def url(claims_set: ClaimsSet, name: str = "analytics:drug_trend", **query: str) -> str:
    base = reverse(name, args=[claims_set.client.public_id])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def figure_rows(rows: list[list[str]]) -> dict[str, list[str]]:
    """Figure label -> [unit, this period, prior period, change] from the CSV's figure block."""
    return {row[1]: row[2:] for row in rows if len(row) == 6 and row[0] != "Section"}


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
        response = http.get(url(claims_set, plan=str(claims_set.plan.public_id), **FEBRUARY))

    assert response.status_code == 200
    html = response.content.decode()
    assert expected.pmpm_total.current is not None
    assert f"${expected.pmpm_total.current:,.2f}" in html
    # One member has specialty claims: that share describes fewer than 11 members.
    assert expected.specialty_share.suppressed
    assert re.search(r'Specialty share of cost</th>\s*<td colspan="3">' + SUPPRESSED, html)
    assert "CMS small-cell rule" in html
    assert not any("claims_claim" in q["sql"] for q in queries.captured_queries)
    # Sign-in, permissions and audit as on every client page, plus six reads of the rollups.
    # 27: the header's unread-messages count (cached after the first page) is two of them:
    # the count and the reader's member record (whose messages it may count).
    assert len(queries.captured_queries) <= 27, "\n".join(
        q["sql"][:150] for q in queries.captured_queries
    )
    assert AuditEvent.objects.filter(action="clients.tool.opened").count() == 1


def test_the_page_shows_the_decomposition_tiers_classes_and_the_monthly_chart(
    brand_claims: ClaimsSet, owner: User
) -> None:
    """January: $1420 + B $1100 = $2520 / 12 = 210.00; February: $1695 + $1210 = $2905 / 12 =
    242.08: a change of 32.08, split into utilisation, unit cost and mix that add up to it."""
    rebuild_claim_rollups(client_id=brand_claims.client.pk)

    html = logged_in(owner).get(url(brand_claims, **FEBRUARY)).content.decode()

    found = re.search(r'id="trend-decomposition".*?</table>', html, flags=re.DOTALL)
    assert found
    decomposition = found.group()
    amounts = [
        D(sign + number.replace(",", ""))
        for sign, number in re.findall(r'<td class="num">(-?)\$([\d,.]+)</td>', decomposition)
    ]
    assert len(amounts) == 4  # utilisation, unit cost, mix, total
    assert amounts[-1] == D("32.08")
    assert sum(amounts[:-1]) == D("32.08")
    assert re.search(r"Diabetes</th>\s*<td class=\"num\">\$1,210.00</td>", html)
    assert "Immunology" not in html and "Statins" not in html  # small, and its complement
    assert re.search(r"Preferred brand</th>\s*<td class=\"num\">\$110.00</td>", html)
    assert brand_claims.brand.name in html
    assert '<svg class="trend-chart__svg"' in html
    assert "February 2026, Plan paid: $" in html  # a bar segment's tooltip
    assert '<caption id="trend-monthly-caption">' in html


def test_top_drugs_are_listed_by_their_readable_names(brand_claims: ClaimsSet, owner: User) -> None:
    brand_claims.brand.name = "{28 (norethindrone 0.35 MG Oral Tablet) } Pack [Errin 28 Day]"
    brand_claims.brand.save(update_fields=["name"])
    rebuild_claim_rollups(client_id=brand_claims.client.pk)

    html = logged_in(owner).get(url(brand_claims, **FEBRUARY)).content.decode()
    text = pdf_text(
        logged_in(owner).get(url(brand_claims, "analytics:drug_trend_pdf", **FEBRUARY)).content
    )

    assert "Errin 28 Day (norethindrone 0.35 MG Oral Tablet, pack of 28)" in html
    assert "} Pack" not in html
    assert "Errin 28 Day" in text and "pack of 28" in text and "} Pack" not in text


def test_the_csv_holds_the_rollup_figures_and_keeps_small_cells_suppressed(
    claims_set: ClaimsSet, owner: User
) -> None:
    """The hand figures of test_selectors (February against January): PMPM total 141.25 against
    118.33, plan 127.50 against 27.67, members 13.75 against 90.67; recomputed here from the
    rollup rows as well."""
    rebuild_claim_rollups(client_id=claims_set.client.pk)
    feb = dt.date(2026, 2, 1)
    paid = DrugMonthRollup.objects.filter(client=claims_set.client, month=feb).aggregate(
        plan=Sum("plan_paid"), member=Sum("member_paid")
    )
    member_months = PeriodMemberRollup.objects.get(
        client=claims_set.client, plan=None, kind="month", start=feb
    ).member_months

    http = logged_in(owner)
    with CaptureQueriesContext(connection) as queries:
        response = http.get(url(claims_set, "analytics:drug_trend_csv", **FEBRUARY))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="drug-trend-month-2026-02-01.csv"'
    )
    rows = csv_rows(response.content)
    figures = figure_rows(rows)
    plan_pmpm = (paid["plan"] / member_months).quantize(D("0.01"))
    assert figures["Plan cost per member per month"] == [
        "USD", str(plan_pmpm), "27.67", "99.83",
    ]  # fmt: skip
    assert plan_pmpm == D("127.50")
    assert figures["Total cost per member per month"] == ["USD", "141.25", "118.33", "22.92"]
    assert figures["Member cost per member per month"] == ["USD", "13.75", "90.67", "-76.92"]
    assert figures["Members' share of cost"] == ["%", "9.73", "76.62", "-66.89"]
    assert figures["Total change"] == ["USD", "", "", "22.92"]
    assert figures["Specialty share of cost"] == ["%", SUPPRESSED, "", ""]
    assert figures["Members who reached the deductible"] == ["", SUPPRESSED, "", ""]
    assert ["2026-02", "127.50", "13.75", "141.25"] in rows
    assert ["2026-01", "27.67", "90.67", "118.33"] in rows
    text = response.content.decode()
    assert "Immunology" not in text and claims_set.specialty.name not in text
    assert "1200.00" not in text  # the one specialty member's cost
    assert not any("claims_claim" in q["sql"] for q in queries.captured_queries)
    assert len(queries.captured_queries) <= 24
    [event] = AuditEvent.objects.filter(action="clients.tool.exported")
    assert event.details == {"tool": "drug-trend", "phi_level": False, "format": "csv"}


def test_the_csv_follows_the_filters(claims_set: ClaimsSet, owner: User) -> None:
    """The first quarter of 2026 against the last of 2025 (no rollups then): ($1420 + $1695) /
    24 member-months = 129.79, nothing to compare with."""
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    response = logged_in(owner).get(
        url(
            claims_set,
            "analytics:drug_trend_csv",
            plan=str(claims_set.plan.public_id),
            period="quarter",
            day="2026-02-01",
        )
    )

    rows = csv_rows(response.content)
    assert figure_rows(rows)["Total cost per member per month"] == ["USD", "129.79", "", ""]
    assert ["Plan", claims_set.plan.name] in rows
    assert response["Content-Disposition"].endswith('drug-trend-quarter-2026-01-01.csv"')


def test_text_cells_of_the_csv_cannot_run_as_formulas(claims_set: ClaimsSet, owner: User) -> None:
    claims_set.client.name = "=HYPERLINK(1)"
    claims_set.client.save(update_fields=["name"])
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    rows = csv_rows(logged_in(owner).get(url(claims_set, "analytics:drug_trend_csv")).content)

    assert ["Client", "'=HYPERLINK(1)"] in rows


def test_the_pdf_shows_the_same_figures_in_8_points_or_more(
    brand_claims: ClaimsSet, owner: User
) -> None:
    rebuild_claim_rollups(client_id=brand_claims.client.pk)

    response = logged_in(owner).get(url(brand_claims, "analytics:drug_trend_pdf", **FEBRUARY))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF") and b"/Title (Drug trend)" in pdf
    text = pdf_text(pdf)
    assert "$242.08" in text and "$210.00" in text and "$32.08" in text
    assert "Diabetes" in text and "$1,210.00" in text
    assert SUPPRESSED in text
    assert "Immunology" not in text and brand_claims.specialty.name not in text
    sizes = [float(size) for size in re.findall(r"/F\d+ ([\d.]+) Tf", text)]
    assert sizes and min(sizes) >= 8
    [event] = AuditEvent.objects.filter(action="clients.tool.exported")
    assert event.details == {"tool": "drug-trend", "phi_level": False, "format": "pdf"}


@pytest.mark.parametrize(
    "name", ["analytics:drug_trend", "analytics:drug_trend_csv", "analytics:drug_trend_pdf"]
)
def test_no_grant_expired_revoked_or_another_clients_plan_is_not_found(
    claims_set: ClaimsSet, owner: User, name: str
) -> None:
    stranger = make_user("sam.stranger", "client")
    assert logged_in(stranger).get(url(claims_set, name)).status_code == 404

    other_plan = PlanFactory()
    response = logged_in(owner).get(url(claims_set, name, plan=str(other_plan.public_id)))
    assert response.status_code == 404

    grant: Any = owner.tool_grants.get()
    grant.expires_at = clock.now() - dt.timedelta(seconds=1)
    grant.save(update_fields=["expires_at"])
    assert logged_in(owner).get(url(claims_set, name)).status_code == 404

    grant.expires_at = clock.now() + dt.timedelta(days=30)
    grant.revoked_at = clock.now()
    grant.save(update_fields=["expires_at", "revoked_at"])
    assert logged_in(owner).get(url(claims_set, name)).status_code == 404
    assert not AuditEvent.objects.filter(action="clients.tool.exported").exists()


def test_the_dashboard_reads_in_spanish(claims_set: ClaimsSet, owner: User) -> None:
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    response = logged_in(owner).get(
        url(claims_set, day="2026-02-01"), headers={"accept-language": "es"}
    )

    html = response.content.decode()
    assert "Tendencia de medicamentos" in html
    assert "No se muestra: menos de 11 miembros" in html
    assert "regla de celdas pequeñas de CMS" in html
    assert "Costo por miembro por mes, por mes" in html
    assert "Descargar estas cifras (CSV)" in html
