"""Claims reports: asked for behind a live grant, built in the background, downloaded by the
one who asked while the link lasts. Every step is recorded in the audit trail (ids only)."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from collections.abc import Iterator

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from rxportal.audit.models import Outcome
from rxportal.claims.selectors import list_claims_for_sponsor_report
from rxportal.claims.statements import stream_claims_csv
from rxportal.clients.domain import Tool
from rxportal.clients.models import ToolGrant
from rxportal.core.db_router import reading_from_replica
from rxportal.members.models import Member
from rxportal.members.selectors import normalize_member_id
from rxportal.records.reads import Edge, Reader, reader_for_task, record_phi_read
from rxportal.sponsor_tools import domain
from rxportal.sponsor_tools.errors import (
    ReportInProgress,
    ReportLinkExpired,
    ReportMemberUnknown,
    ReportRangeInvalid,
)
from rxportal.sponsor_tools.models import ClaimsReport, ReportStatus

ACTION_REPORT_REQUESTED = "phi.sponsor.claims_report.requested"
ACTION_REPORT_BUILT = "phi.sponsor.claims_report.built"
ACTION_REPORT_DOWNLOADED = "phi.sponsor.claims_report.downloaded"
ACTION_REPORT_LINK_EXPIRED = "phi.sponsor.claims_report.link_expired"
ACTION_REPORT_MEMBER_NOT_FOUND = "phi.sponsor.claims_report.member_not_found"
# Progress is written every this many rows (one small UPDATE each).
PROGRESS_EVERY = 2_000
DOWNLOAD_CHUNK_BYTES = 64 * 1024


def _ids(report: ClaimsReport) -> dict[str, str]:
    return {
        "client": str(report.client.public_id),
        "grant": str(report.grant.public_id),
        "report": str(report.public_id),
    }


def request_claims_report(
    *,
    grant: ToolGrant,
    actor: AbstractBaseUser,
    start: dt.date,
    end: dt.date,
    drug_query: str = "",
    member_card: str = "",
    request: HttpRequest | None = None,
) -> ClaimsReport:
    """Queue a report of the grant's client's claims; it is built after commit (Celery).
    One at a time per asker and client: a report can read three years of claims."""
    if grant.user_id != actor.pk or grant.tool != Tool.CLAIMS_REPORTS:
        raise PermissionError("a claims report was asked for with someone else's grant")
    if not domain.is_range_valid(start=start, end=end):
        raise ReportRangeInvalid(
            _("Choose a start date on or before the end date, and at most three years apart.")
        )
    card = normalize_member_id(member_card)
    if (
        card
        and not Member.objects.filter(
            plan__client_id=grant.client_id, member_id__iexact=card
        ).exists()
    ):
        # Recorded like the eligibility lookup's not_found: ids only, never the typed id.
        record_phi_read(
            Reader(user=actor, edge=Edge.WEB, request=request),
            action=ACTION_REPORT_MEMBER_NOT_FOUND,
            outcome=Outcome.FAILURE,
            subject=grant,
            details={"client": str(grant.client.public_id), "grant": str(grant.public_id)},
        )
        raise ReportMemberUnknown(_("No member of this client has that member ID."))
    with transaction.atomic():
        # The grant row is the lock: two requests at once cannot both find no report running.
        ToolGrant.objects.select_for_update().filter(pk=grant.pk).first()
        running = ClaimsReport.objects.filter(
            client_id=grant.client_id,
            requested_by_id=actor.pk,
            status__in=[ReportStatus.QUEUED, ReportStatus.BUILDING],
        ).first()
        if running is not None:
            raise ReportInProgress(
                _(
                    "Your previous report is still being built. Wait until it is ready, then ask again."
                ),
                report=running,
            )
        report = ClaimsReport.objects.create(
            client_id=grant.client_id,
            grant=grant,
            requested_by_id=actor.pk,
            start_date=start,
            end_date=end,
            drug_query=drug_query.strip(),
            member_card=card,
            language=translation.get_language() or "en",
            status=ReportStatus.QUEUED,
        )
        record_phi_read(
            Reader(user=actor, edge=Edge.WEB, request=request),
            action=ACTION_REPORT_REQUESTED,
            subject=report,
            details={**_ids(report), "days": (end - start).days + 1,
                     # how many of the two optional filters were used (never which values)
                     "optional_filters": int(bool(report.drug_query)) + int(bool(card))},
        )  # fmt: skip
        _enqueue_build(report.pk)
    return report


def request_claims_report_again(
    *, report: ClaimsReport, grant: ToolGrant, actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> ClaimsReport:  # fmt: skip
    """A new report with the same filters (after the link of ``report`` expired)."""
    return request_claims_report(
        grant=grant,
        actor=actor,
        start=report.start_date,
        end=report.end_date,
        drug_query=report.drug_query,
        member_card=report.member_card,
        request=request,
    )


def _enqueue_build(report_id: int) -> None:
    from rxportal.sponsor_tools.tasks import build_claims_report as build_task

    transaction.on_commit(lambda: build_task.delay(report_id=report_id))


def build_claims_report(*, report_id: int, now: dt.datetime) -> ClaimsReport:
    """Write the CSV (gzip) into the report row, saving progress as it goes. Safe to run twice:
    a report already ready or failed is left alone; one caught half-built starts over."""
    report = ClaimsReport.objects.select_related("client", "grant").get(pk=report_id)
    if report.status in (ReportStatus.READY, ReportStatus.FAILED):
        return report
    claims = list_claims_for_sponsor_report(
        client_id=report.client_id,
        start=report.start_date,
        end=report.end_date,
        drug_query=report.drug_query,
        member_card=report.member_card,
    )
    with reading_from_replica():  # a report of past claims; its own row is written on the primary
        total = claims.count()
    ClaimsReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.BUILDING, rows_total=total, rows_done=0
    )
    buffer = io.BytesIO()
    done = 0
    try:
        with (
            reading_from_replica(),
            translation.override(report.language),
            gzip.GzipFile(fileobj=buffer, mode="wb") as compressed,
        ):
            lines = stream_claims_csv(claims.iterator(chunk_size=PROGRESS_EVERY), for_sponsor=True)
            compressed.write(next(lines).encode("utf-8"))  # the header
            for line in lines:
                compressed.write(line.encode("utf-8"))
                done += 1
                if done % PROGRESS_EVERY == 0:
                    ClaimsReport.objects.filter(pk=report.pk).update(rows_done=min(done, total))
    except Exception:
        ClaimsReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED)
        raise
    report.content = buffer.getvalue()
    report.status = ReportStatus.READY
    report.rows_total = report.rows_done = done
    report.finished_at = now
    report.expires_at = domain.compute_link_expiry(now)
    report.save(
        update_fields=[
            "content", "status", "rows_total", "rows_done", "finished_at", "expires_at",
            "updated_at",
        ]
    )  # fmt: skip
    record_phi_read(
        reader_for_task(report.requested_by),
        action=ACTION_REPORT_BUILT,
        subject=report,
        details={**_ids(report), "rows": done},
    )
    return report


def open_claims_report(
    *,
    report: ClaimsReport,
    grant: ToolGrant,
    actor: AbstractBaseUser,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> Iterator[bytes]:
    """The CSV's bytes for the one who asked, while the link lasts; the download is recorded.
    ``report`` comes from ``selectors.find_own_report`` (the viewer's, for the grant's client).
    """
    if report.requested_by_id != actor.pk or report.client_id != grant.client_id:
        raise PermissionError("a claims report was opened by someone other than its requester")
    if report.status != ReportStatus.READY or domain.is_link_expired(
        expires_at=report.expires_at, now=now
    ):
        record_phi_read(
            Reader(user=actor, edge=Edge.WEB, request=request),
            action=ACTION_REPORT_LINK_EXPIRED,
            outcome=Outcome.DENIED,
            subject=report,
            details=_ids(report),
        )
        raise ReportLinkExpired(_("This download link has expired."))
    content = ClaimsReport.objects.filter(pk=report.pk).values_list("content", flat=True).first()
    if content is None:  # purged after expiry
        raise ReportLinkExpired(_("This download link has expired."))
    record_phi_read(
        Reader(user=actor, edge=Edge.WEB, request=request),
        action=ACTION_REPORT_DOWNLOADED,
        subject=report,
        details={**_ids(report), "rows": report.rows_total},
    )
    return _chunks(bytes(content))


def _chunks(compressed: bytes) -> Iterator[bytes]:
    with gzip.GzipFile(fileobj=io.BytesIO(compressed), mode="rb") as csv_file:
        while chunk := csv_file.read(DOWNLOAD_CHUNK_BYTES):
            yield chunk


def purge_expired_claims_reports(*, now: dt.datetime) -> int:
    """Drop the files of reports whose link has expired (the rows stay, for the record)."""
    return ClaimsReport.objects.filter(expires_at__lte=now, content__isnull=False).update(
        content=None
    )
