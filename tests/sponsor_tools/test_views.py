"""The two PHI tool pages: open only with a live grant for the tool (asked at every request,
the download included), searches by POST, not-found and another client's member alike."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.clients import services as client_services
from rxportal.core import clock
from rxportal.sponsor_tools.models import ClaimsReport
from tests.clients.conftest import approve, link, logged_in, make_user, submit
from tests.sponsor_tools.conftest import Scene

pytestmark = pytest.mark.django_db
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def eligibility_url(scene: Scene, client: Any = None) -> str:
    return reverse("sponsor_tools:eligibility", args=[(client or scene.acme).public_id])


def reports_url(scene: Scene, client: Any = None) -> str:
    return reverse("sponsor_tools:claims_reports", args=[(client or scene.acme).public_id])


def report_url(scene: Scene, report: ClaimsReport, name: str = "claims_report") -> str:
    return reverse(f"sponsor_tools:{name}", args=[scene.acme.public_id, report.public_id])


def build(scene: Scene, http: Any = None, **fields: str) -> ClaimsReport:
    data = {"start_date": "2026-01-01", "end_date": "2026-12-31", "drug": "", "member_id": ""}
    with TestCase.captureOnCommitCallbacks(execute=True):  # the build task, after commit
        response = (http or logged_in(scene.owner)).post(reports_url(scene), {**data, **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    report = ClaimsReport.objects.latest("created_at")
    assert response["Location"] == report_url(scene, report)
    return report


def test_the_tool_urls_are_the_ones_the_client_home_links_to(scene: Scene) -> None:
    assert eligibility_url(scene) == reverse(
        "clients:tool", args=[scene.acme.public_id, "eligibility"]
    )
    assert reports_url(scene) == reverse(
        "clients:tool", args=[scene.acme.public_id, "claims-reports"]
    )


def test_the_lookup_page_opens_with_a_post_form_and_is_recorded(scene: Scene) -> None:
    response = logged_in(scene.owner).get(eligibility_url(scene))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your access is in force." in html
    assert 'method="post"' in html
    assert AuditEvent.objects.filter(action="clients.tool.opened").count() == 1


def test_a_lookup_shows_coverage_dependents_and_accumulators_within_a_query_budget(
    scene: Scene,
) -> None:
    http = logged_in(scene.owner)
    http.get(eligibility_url(scene))  # the session's first request (sign-in bookkeeping)
    with CaptureQueriesContext(connection) as queries:
        response = http.post(eligibility_url(scene), {"member_id": "ACM00000042"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "José Núñez" in html and "Acme Gold Rx" in html
    assert "Ana Núñez" in html and "Leo Núñez" in html  # dependents
    assert "$100.00" in html and "$150.00" in html  # deductible used and left
    assert "covered today" in html
    assert len(queries.captured_queries) <= 16, [q["sql"][:90] for q in queries.captured_queries]
    assert AuditEvent.objects.filter(action="phi.sponsor.eligibility.viewed").count() == 1


def test_another_clients_member_looks_exactly_like_no_member(scene: Scene) -> None:
    http = logged_in(scene.owner)

    def answer(card: str) -> str:
        html = http.post(eligibility_url(scene), {"member_id": card}).content.decode()
        return CSRF_RE.sub("", html).replace(card, "CARD")

    assert answer("GLX00000042") == answer("ZZZ00000042")
    assert "No member of this client matches" in answer("GLX00000042")


def test_a_search_needs_a_member_id_or_a_whole_name_and_birthday(scene: Scene) -> None:
    response = logged_in(scene.owner).post(eligibility_url(scene), {"last_name": "Núñez"})

    assert "Enter a member ID, or a last name, first name and date of birth." in (
        response.content.decode()
    )
    assert not AuditEvent.objects.filter(action__startswith="phi.sponsor").exists()


@pytest.mark.parametrize("how", ["no_grant", "other_client", "expired", "revoked", "other_tool"])
def test_no_live_grant_for_the_tool_is_a_404_on_every_page(
    scene: Scene, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = build(scene)
    http = logged_in(scene.owner)
    urls = [
        eligibility_url(scene),
        reports_url(scene),
        report_url(scene, report),
        report_url(scene, report, "claims_report_download"),
    ]
    if how == "no_grant":
        colleague = make_user("pat.colleague", "client")
        link(colleague, scene.acme, scene.agent)
        http = logged_in(colleague)
    elif how == "other_client":
        urls = [eligibility_url(scene, scene.globex), reports_url(scene, scene.globex)]
    elif how == "expired":  # a year on: both grants have run out (the report link too)
        later = max(scene.eligibility.expires_at, scene.reports.expires_at)
        monkeypatch.setattr(clock, "now", lambda: later)
    elif how == "revoked":
        for grant in (scene.eligibility, scene.reports):
            client_services.revoke_grant(
                grant=grant, actor=scene.agent, reason="Left.", now=clock.now()
            )
    else:  # only the claims-reports grant: the lookup stays closed, and the other way round
        client_services.revoke_grant(
            grant=scene.eligibility, actor=scene.agent, reason="Left.", now=clock.now()
        )
        urls = [eligibility_url(scene)]

    for url in urls:
        assert http.get(url).status_code == 404, url
    assert http.post(urls[0], {"member_id": "ACM00000042"}).status_code == 404


def test_the_report_flow_builds_shows_and_downloads_the_csv(scene: Scene) -> None:
    http = logged_in(scene.owner)
    report = build(scene, http)  # redirected to the report's page (checked in build)

    page = http.get(report_url(scene, report)).content.decode()
    assert "Ready: 3 claims." in page
    assert 'http-equiv="refresh"' not in page  # built: no more refreshing
    download = http.get(report_url(scene, report, "claims_report_download"))

    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        download["Content-Disposition"] == 'attachment; filename="claims-2026-01-01-2026-12-31.csv"'
    )
    body = b"".join(download.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    assert body.count("\n") == 4 and "ACM00000042-02" in body
    assert AuditEvent.objects.filter(action="phi.sponsor.claims_report.downloaded").count() == 1


def test_a_report_being_built_shows_progress_and_refreshes_itself(scene: Scene) -> None:
    report = build(scene)
    ClaimsReport.objects.filter(pk=report.pk).update(status="building", rows_done=1, rows_total=4)

    html = logged_in(scene.owner).get(report_url(scene, report)).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress id="report-progress" max="100" value="25">' in html
    assert "1 of 4 claims written." in html


def test_an_expired_link_says_so_and_builds_it_again(scene: Scene) -> None:
    http = logged_in(scene.owner)
    report = build(scene, http)
    # 24 hours on (moving the clock instead would also end the sign-in session).
    ClaimsReport.objects.filter(pk=report.pk).update(expires_at=clock.now())

    download = http.get(report_url(scene, report, "claims_report_download"))
    assert download.status_code == 410
    assert "This download link has expired." in download.content.decode()
    assert "This download link has expired." in http.get(report_url(scene, report)).content.decode()

    with TestCase.captureOnCommitCallbacks(execute=True):
        again = http.post(report_url(scene, report, "claims_report_again"))
    fresh = ClaimsReport.objects.latest("created_at")
    assert again["Location"] == report_url(scene, fresh)
    assert fresh.pk != report.pk and fresh.status == "ready"


def test_someone_elses_report_is_a_404_even_with_their_own_grant(scene: Scene) -> None:
    report = build(scene)
    colleague = make_user("pat.colleague", "client")
    link(colleague, scene.acme, scene.agent)
    approve(submit(colleague, scene.acme, tool="claims-reports"), scene.agent)
    http = logged_in(colleague)

    for name in ("claims_report", "claims_report_download"):
        assert http.get(report_url(scene, report, name)).status_code == 404
    assert http.post(report_url(scene, report, "claims_report_again")).status_code == 404
    assert str(report.public_id) not in http.get(reports_url(scene)).content.decode()


def test_a_member_id_of_another_client_is_refused_on_the_form(scene: Scene) -> None:
    response = logged_in(scene.owner).post(
        reports_url(scene),
        {"start_date": "2026-01-01", "end_date": "2026-12-31", "member_id": "GLX00000042"},
    )
    assert response.status_code == 200
    assert "No member of this client has that member ID." in response.content.decode()
    assert not ClaimsReport.objects.exists()


def test_the_tools_read_in_spanish(scene: Scene) -> None:
    http = logged_in(scene.owner)
    lookup = http.get(eligibility_url(scene), headers={"accept-language": "es"}).content.decode()
    reports = http.get(reports_url(scene), headers={"accept-language": "es"}).content.decode()

    assert "Consulta de elegibilidad" in lookup
    assert "Informes de reclamos" in reports


def test_a_second_report_while_one_is_being_built_is_refused_keeping_what_was_typed(
    scene: Scene,
) -> None:
    http = logged_in(scene.owner)
    first = build(scene, http)
    ClaimsReport.objects.filter(pk=first.pk).update(status="queued")

    response = http.post(
        reports_url(scene),
        {"start_date": "2025-02-03", "end_date": "2026-04-05", "drug": "Atorva", "member_id": ""},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your previous report is still being built." in html
    assert 'value="2025-02-03"' in html and 'value="Atorva"' in html
    assert ClaimsReport.objects.count() == 1
    # Asking for an expired one again meanwhile leads to the one being built, not a new one.
    again = http.post(report_url(scene, first, "claims_report_again"))
    assert again["Location"] == report_url(scene, first)
    assert ClaimsReport.objects.count() == 1
