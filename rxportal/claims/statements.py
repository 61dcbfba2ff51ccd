"""Files a member takes away: the CSV export of their claims and the PDF statement of paid
claims for FSA / HSA and tax records. Rendering only: the rows come from the selectors."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from rxportal.claims.domain import is_counted_in_totals, make_csv_safe
from rxportal.claims.models import Claim
from rxportal.claims.selectors import ClaimStatement
from rxportal.core.money import to_money
from rxportal.core.pdf import render_letter_pdf

# --- CSV ---------------------------------------------------------------------------------------


def csv_header(*, for_sponsor: bool = False) -> list[str]:
    """The columns. A plan sponsor's report names the member's card and says "Member paid"
    where the member's own export says "You paid"."""
    header = [
        _("Claim number"),
        _("Date of service"),
        _("Person"),
        _("Drug"),
        _("Pharmacy"),
        _("Status"),
        _("Reverses claim"),
        _("Reject code"),
        _("Reject reason"),
        _("Channel"),
        _("Tier"),
        _("Quantity"),
        _("Days supply"),
        _("Total cost"),
        _("Plan paid"),
        _("Member paid") if for_sponsor else _("You paid"),
        _("Deductible applied"),
        _("Out-of-pocket applied"),
        _("Counted in totals"),
    ]
    return [_("Member ID"), _("Plan"), *header] if for_sponsor else header


def csv_row(claim: Claim, *, for_sponsor: bool = False) -> list[str]:
    """One claim as spreadsheet cells: ISO dates, plain amounts, every text cell formula-safe.
    For a sponsor, first the card number with person code and the plan's code (``plan`` and
    ``member`` loaded with the claim)."""
    counted = is_counted_in_totals(status=claim.status, is_reversal=claim.reverses_id is not None)
    cells = [
        claim.claim_number,
        claim.service_date.isoformat(),
        claim.member.full_name,
        # Members read the readable name; a sponsor's report keeps RxNorm's, its identifier
        # (and what the report's drug filter matches).
        claim.drug.name if for_sponsor else claim.drug.display_name,
        claim.pharmacy.name if claim.pharmacy else "",
        str(claim.get_status_display()),
        claim.reverses.claim_number if claim.reverses else "",
        claim.reject_code,
        claim.reject_reason_label,
        str(claim.get_channel_display()),
        str(claim.get_tier_display()),
        f"{claim.quantity.normalize():f}",
        str(claim.days_supply),
        str(claim.total_cost),
        str(claim.plan_paid),
        str(claim.member_paid),
        str(claim.deductible_applied),
        str(claim.oop_applied),
        _("yes") if counted else _("no"),
    ]
    if for_sponsor:
        cells = [f"{claim.member.member_id}-{claim.member.person_code}", claim.plan.code, *cells]
    return [make_csv_safe(cell) for cell in cells]


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def stream_claims_csv(claims: Iterable[Claim], *, for_sponsor: bool = False) -> Iterator[str]:
    """The CSV, line by line, with a byte-order mark so spreadsheets read it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(csv_header(for_sponsor=for_sponsor))
    for claim in claims:
        yield writer.writerow(csv_row(claim, for_sponsor=for_sponsor))


# --- PDF statement -----------------------------------------------------------------------------

_MARGIN = 0.4 * inch
_BODY_SIZE = 10
_TABLE_SIZE = 8.5  # 8 pt or larger everywhere
_COLUMN_WIDTHS = [0.85 * inch, 1.25 * inch, 2.35 * inch, 1.55 * inch, 0.85 * inch, 0.85 * inch]


def format_money(amount: Decimal) -> str:
    return f"${to_money(amount):,.2f}"


def _date(value: Any) -> str:
    return str(formats.date_format(value, "SHORT_DATE_FORMAT"))


def _long_date(value: Any) -> str:
    return str(formats.date_format(value, "DATE_FORMAT"))


def statement_title(statement: ClaimStatement) -> str:
    return _("Pharmacy claims statement, %(start)s to %(end)s") % {
        "start": _long_date(statement.period.start),
        "end": _long_date(statement.period.end),
    }


def render_statement_pdf(statement: ClaimStatement, *, compress: bool = True) -> bytes:
    """The statement as a PDF (US Letter). ``compress=False`` (tests) leaves the page content
    streams readable; the output is then also byte-for-byte repeatable."""
    title = statement_title(statement)
    return render_letter_pdf(
        _story(statement, title),
        title=title,
        subject=_("Paid prescription claims for FSA, HSA and tax records"),
        margin=_MARGIN,
        footer=lambda page: (
            _("rxportal pharmacy claims statement · page %(page)d") % {"page": page}
        ),
        compress=compress,
    )


def _styles() -> dict[str, ParagraphStyle]:
    sample = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sample["BodyText"], fontSize=_BODY_SIZE, leading=13)
    return {
        "title": ParagraphStyle("title", parent=sample["Title"], fontSize=16, leading=20),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=_TABLE_SIZE, leading=10.5),
        "head": ParagraphStyle(
            "head", parent=body, fontName="Helvetica-Bold", fontSize=_TABLE_SIZE, leading=10.5
        ),
        "num": ParagraphStyle(
            "num", parent=body, fontSize=_TABLE_SIZE, leading=10.5, alignment=TA_RIGHT
        ),
        "num_head": ParagraphStyle(
            "num_head",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=_TABLE_SIZE,
            leading=10.5,
            alignment=TA_RIGHT,
        ),
    }


def _story(statement: ClaimStatement, title: str) -> list[Any]:
    styles = _styles()

    def p(text: str, style: str = "body") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    facts = [
        (_("Member"), statement.member_name),
        (_("Member ID"), statement.member_id),
        (_("Plan"), statement.plan_name),
        (
            _("Period"),
            _("%(start)s to %(end)s")
            % {
                "start": _long_date(statement.period.start),
                "end": _long_date(statement.period.end),
            },
        ),
        (_("People included"), ", ".join(statement.people)),
        (_("Generated on"), _long_date(statement.generated_on)),
    ]
    story: list[Any] = [Paragraph(escape(title), styles["title"])]
    facts_table = Table(
        [[p(label, "head"), p(value, "cell")] for label, value in facts],
        colWidths=[1.4 * inch, 6.3 * inch],
        hAlign="LEFT",
    )
    facts_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [facts_table, Spacer(1, 10)]

    if statement.lines:
        rows: list[list[Any]] = [
            [
                p(_("Date"), "head"),
                p(_("Person"), "head"),
                p(_("Drug"), "head"),
                p(_("Pharmacy"), "head"),
                p(_("You paid"), "num_head"),
                p(_("Plan paid"), "num_head"),
            ]
        ]
        rows += [
            [
                p(_date(line.service_date), "cell"),
                p(line.person, "cell"),
                p(line.drug, "cell"),
                p(line.pharmacy or _("Not recorded"), "cell"),
                p(format_money(line.you_paid), "num"),
                p(format_money(line.plan_paid), "num"),
            ]
            for line in statement.lines
        ]
        rows.append(
            [
                p(_("Total"), "head"),
                p(
                    ngettext("%(count)d paid claim", "%(count)d paid claims", len(statement.lines))
                    % {"count": len(statement.lines)},
                    "cell",
                ),
                "",
                "",
                p(format_money(statement.you_paid), "num_head"),
                p(format_money(statement.plan_paid), "num_head"),
            ]
        )
        table = Table(rows, colWidths=_COLUMN_WIDTHS, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.grey),
                    ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                    ("SPAN", (1, -1), (3, -1)),
                ]
            )
        )
        story.append(table)
    else:
        story.append(p(_("No paid claims in this period.")))

    story += [
        Spacer(1, 10),
        p(
            _("Total you paid: %(you)s. Total your plan paid: %(plan)s.")
            % {"you": format_money(statement.you_paid), "plan": format_money(statement.plan_paid)}
        ),
        p(
            _(
                "Only paid claims are listed. A claim that was reversed (cancelled, for example "
                "when a prescription was not picked up) is left out together with its reversal, "
                "and rejected claims are left out: you paid nothing for them."
            )
        ),
        p(
            _(
                "Keep this statement with your records for your flexible spending account (FSA), "
                "health savings account (HSA) or taxes. Amounts are what was charged at the "
                "pharmacy under your plan on the date of service."
            )
        ),
    ]
    return story
