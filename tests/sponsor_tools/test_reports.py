"""Claims reports: scoped to the client's plans, filtered, built in the background into a
formula-safe CSV, downloaded only by the one who asked while the link lasts, all recorded."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import TestCase
from django.utils import translation

from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.sponsor_tools import domain, services
from rxportal.sponsor_tools.errors import (
    ReportInProgress,
    ReportLinkExpired,
    ReportMemberUnknown,
    ReportRangeInvalid,
)
from rxportal.sponsor_tools.models import ClaimsReport, ReportStatus
from tests.sponsor_tools.conftest import Scene

pytestmark = pytest.mark.django_db
JAN_1, DEC_31 = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


def ask(scene: Scene, **filters: object) -> ClaimsReport:
    options: dict = {"start": JAN_1, "end": DEC_31, **filters}
    with translation.override("en"), TestCase.captureOnCommitCallbacks(execute=True):
        report = services.request_claims_report(grant=scene.reports, actor=scene.owner, **options)
    report.refresh_from_db()
    return report


def download(scene: Scene, report: ClaimsReport, now: dt.datetime | None = None) -> list[list[str]]:
    chunks = services.open_claims_report(
        report=report, grant=scene.reports, actor=scene.owner, now=now or clock.now()
    )
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_report_has_the_clients_claims_in_the_range_only(scene: Scene) -> None:
    report = ask(scene)

    assert report.status == ReportStatus.READY
    assert (report.rows_done, report.rows_total) == (3, 3)
    header, *rows = download(scene, report)
    assert header[:3] == ["Member ID", "Plan", "Claim number"]
    assert "Member paid" in header and "You paid" not in header
    numbers = [row[2] for row in rows]
    assert numbers == [c.claim_number for c in scene.claims[:3]]  # oldest first
    assert scene.stranger_claim.claim_number not in numbers  # Globex's
    assert scene.claims[3].claim_number not in numbers  # 2025: out of range
    assert [row[0] for row in rows] == ["ACM00000042-01", "ACM00000042-02", "ACM00000042-03"]


def test_cells_a_spreadsheet_would_run_are_kept_as_text(scene: Scene) -> None:
    header, *rows = download(scene, ask(scene))

    drug_cells = [row[header.index("Drug")] for row in rows]
    assert '\'=HYPERLINK("http://evil")' in drug_cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"drug_query": "examplestatin"}, [0, 2]),
        ({"drug_query": "999999"}, [1]),  # the RxCUI, exactly
        ({"drug_query": "99999"}, []),  # part of an RxCUI is no match
        ({"member_card": "acm-00000042"}, [0, 1, 2]),
        ({"start": dt.date(2026, 2, 1), "end": dt.date(2026, 2, 28)}, [1]),
    ],
)
def test_filters_by_drug_member_card_and_dates(
    scene: Scene, filters: dict, expected: list[int]
) -> None:
    _header, *rows = download(scene, ask(scene, **filters))

    assert [row[2] for row in rows] == [scene.claims[i].claim_number for i in expected]


def test_another_clients_member_id_or_a_bad_range_is_refused(scene: Scene) -> None:
    with pytest.raises(ReportMemberUnknown):
        ask(scene, member_card="GLX00000042")
    [unknown] = AuditEvent.objects.filter(action="phi.sponsor.claims_report.member_not_found")
    assert unknown.actor == scene.owner
    assert unknown.subject_id == str(scene.reports.public_id)
    assert unknown.details == {
        "edge": "web",
        "client": str(scene.acme.public_id),
        "grant": str(scene.reports.public_id),
    }
    assert "GLX" not in str(unknown.details)
    with pytest.raises(ReportRangeInvalid):
        ask(scene, start=DEC_31, end=JAN_1)
    with pytest.raises(ReportRangeInvalid):
        ask(scene, start=dt.date(2020, 1, 1), end=DEC_31)
    assert not ClaimsReport.objects.exists()


def test_asking_building_and_downloading_are_recorded_with_ids_only(scene: Scene) -> None:
    report = ask(scene, member_card="ACM00000042")
    download(scene, report)

    requested, built, downloaded = (
        AuditEvent.objects.get(action=f"phi.sponsor.claims_report.{step}")
        for step in ("requested", "built", "downloaded")
    )
    ids = {
        "client": str(scene.acme.public_id),
        "grant": str(scene.reports.public_id),
        "report": str(report.public_id),
    }
    assert requested.details == {"edge": "web", **ids, "days": 365, "optional_filters": 1}
    assert built.details == {"edge": "web", **ids, "rows": 3}
    assert downloaded.details == {"edge": "web", **ids, "rows": 3}
    assert downloaded.actor == scene.owner
    assert "ACM" not in str(requested.details)


def test_the_link_expires_after_24_hours_and_the_file_is_purged(scene: Scene) -> None:
    report = ask(scene)
    assert report.finished_at is not None
    assert report.expires_at == report.finished_at + dt.timedelta(hours=24)
    just_before = report.expires_at - dt.timedelta(seconds=1)
    assert len(download(scene, report, now=just_before)) == 4

    with pytest.raises(ReportLinkExpired):
        download(scene, report, now=report.expires_at)
    assert AuditEvent.objects.filter(
        action="phi.sponsor.claims_report.link_expired", outcome="denied"
    ).exists()

    assert services.purge_expired_claims_reports(now=report.expires_at) == 1
    assert ClaimsReport.objects.get(pk=report.pk).content is None


def test_only_the_one_who_asked_may_open_it(scene: Scene) -> None:
    report = ask(scene)
    with pytest.raises(PermissionError):
        services.open_claims_report(
            report=report, grant=scene.reports, actor=scene.agent, now=clock.now()
        )


def test_building_twice_leaves_a_built_report_alone(scene: Scene) -> None:
    report = ask(scene)
    first = bytes(ClaimsReport.objects.get(pk=report.pk).content)

    again = services.build_claims_report(report_id=report.pk, now=clock.now())

    assert again.finished_at == report.finished_at
    assert bytes(ClaimsReport.objects.get(pk=report.pk).content) == first
    assert AuditEvent.objects.filter(action="phi.sponsor.claims_report.built").count() == 1


def test_progress_is_saved_as_rows_are_written(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    seen: list[tuple[str, int, int]] = []
    real = services.stream_claims_csv

    def watching(claims: Any, **options: Any) -> Iterator[str]:
        for line in real(claims, **options):
            seen.append(ClaimsReport.objects.values_list("status", "rows_done", "rows_total").get())
            yield line

    monkeypatch.setattr(services, "stream_claims_csv", watching)
    report = ask(scene)

    assert seen == [("building", 0, 3), ("building", 0, 3), ("building", 1, 3), ("building", 2, 3)]
    assert (report.status, report.rows_done) == ("ready", 3)


def test_report_file_is_gzip_in_the_row(scene: Scene) -> None:
    report = ask(scene)
    content = bytes(ClaimsReport.objects.get(pk=report.pk).content)
    assert gzip.decompress(content).decode("utf-8").count("\n") == 4


def test_progress_percent_and_link_rules() -> None:
    assert domain.compute_progress_percent(done=0, total=0) == 100
    assert domain.compute_progress_percent(done=1, total=3) == 33
    assert domain.compute_progress_percent(done=5, total=3) == 100
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert domain.is_link_expired(expires_at=None, now=now)
    assert not domain.is_link_expired(expires_at=now + dt.timedelta(seconds=1), now=now)
    assert domain.is_link_expired(expires_at=now, now=now)


def test_one_report_at_a_time_per_asker_and_client(scene: Scene) -> None:
    first = ask(scene)
    ClaimsReport.objects.filter(pk=first.pk).update(status=ReportStatus.BUILDING)

    with pytest.raises(ReportInProgress) as refused:
        ask(scene, start=dt.date(2025, 1, 1))

    assert refused.value.details["report"] == first
    assert ClaimsReport.objects.count() == 1
    ClaimsReport.objects.filter(pk=first.pk).update(status=ReportStatus.READY)
    assert ask(scene).pk != first.pk  # once it is built, the next one may be asked for
