"""The drug-trend dashboard as files: CSV for spreadsheets and a PDF to circulate. Rendering only:
both take the `presentation.Dashboard` the page shows, so they hold the same figures for the
same filters, and a suppressed cell stays a sentence, never a number.

CSV: plain numbers (dollars to the cent, percents as percentage points, counts), a unit column,
a byte-order mark so spreadsheets read UTF-8. Text cells (names of classes, drugs, plans,
clients) go through `core.spreadsheets.make_csv_safe`; the numbers are our own Decimals (a
negative change such as -76.92 is a number, not a formula, and stays one).
PDF: reportlab, US Letter, 8.5 pt tables and nothing under 8 pt, like the claims statement.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from rxportal.analytics.presentation import Columns, Dashboard, Section, Unit, format_value
from rxportal.core.pdf import render_letter_pdf
from rxportal.core.spreadsheets import make_csv_safe

_HUNDREDTH = Decimal("0.01")
_MARGIN = 0.5 * inch
_BODY_SIZE = 10
_TABLE_SIZE = 8.5  # 8 pt or larger everywhere


def suppressed_text() -> str:
    return _("Not shown: fewer than 11 members")


def small_cell_note() -> str:
    return _(
        "To protect privacy, figures that describe fewer than 11 members are not shown "
        "(the CMS small-cell rule)."
    )


def period_text(dashboard: Dashboard) -> str:
    return _("From %(start)s to %(end)s, against %(prior_start)s to %(prior_end)s.") % {
        "start": _date(dashboard.period.start),
        "end": _date(dashboard.period.end),
        "prior_start": _date(dashboard.prior_period.start),
        "prior_end": _date(dashboard.prior_period.end),
    }


def _date(value: Any) -> str:
    return str(formats.date_format(value, "DATE_FORMAT"))


# --- CSV ---------------------------------------------------------------------------------------


def _plain(value: Decimal | None, unit: Unit) -> str:
    if value is None:
        return ""
    if unit == Unit.PERCENT:
        return str((value * 100).quantize(_HUNDREDTH))
    return str(value)


def _unit_text(unit: Unit) -> str:
    return {Unit.MONEY: "USD", Unit.PERCENT: "%", Unit.NUMBER: ""}[unit]


def _section_rows(section: Section) -> list[list[str]]:
    rows = []
    for line in section.lines:
        figure = line.figure
        if figure.suppressed:
            values = [suppressed_text(), "", ""]
        elif section.columns == Columns.CHANGE:
            values = ["", "", _plain(figure.change, line.unit)]
        else:
            values = [_plain(v, line.unit) for v in (figure.current, figure.prior, figure.change)]
        rows.append(
            [
                make_csv_safe(section.title),
                make_csv_safe(line.label),
                _unit_text(line.unit),
                *values,
            ]
        )
    return rows


def render_csv(dashboard: Dashboard) -> str:
    """Facts about the report, then one row per figure, then the monthly series."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Drug trend")])
    for label, value in (
        (_("Client"), dashboard.client_name),
        (_("Plan"), dashboard.plan_name),
        (_("Period"), period_text(dashboard)),
        (_("Note"), small_cell_note()),
    ):
        writer.writerow([label, make_csv_safe(value)])
    writer.writerow([])
    writer.writerow(
        [_("Section"), _("Figure"), _("Unit"), _("This period"), _("Prior period"), _("Change")]
    )
    for section in dashboard.sections:
        writer.writerows(_section_rows(section))
    writer.writerow([])
    writer.writerow(
        [
            _("Month"),
            _("Plan paid per member per month"),
            _("Member paid per member per month"),
            _("Total cost per member per month"),
        ]
    )
    for row in dashboard.monthly:
        month = row.month.strftime("%Y-%m")
        if row.suppressed:
            writer.writerow([month, suppressed_text(), "", ""])
        else:
            writer.writerow(
                [month]
                + [_plain(v, Unit.MONEY) for v in (row.pmpm_plan, row.pmpm_member, row.pmpm_total)]
            )
    return "\ufeff" + buffer.getvalue()


# --- PDF ---------------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    sample = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sample["BodyText"], fontSize=_BODY_SIZE, leading=13)
    bold = {"fontName": "Helvetica-Bold"}
    return {
        "title": ParagraphStyle("title", parent=sample["Title"], fontSize=16, leading=20),
        "heading": ParagraphStyle("heading", parent=sample["Heading2"], fontSize=12, leading=15),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=_TABLE_SIZE, leading=10.5),
        "head": ParagraphStyle("head", parent=body, fontSize=_TABLE_SIZE, leading=10.5, **bold),
        "num": ParagraphStyle(
            "num", parent=body, fontSize=_TABLE_SIZE, leading=10.5, alignment=TA_RIGHT
        ),
        "num_head": ParagraphStyle(
            "num_head", parent=body, fontSize=_TABLE_SIZE, leading=10.5, alignment=TA_RIGHT,
            **bold,
        ),
    }  # fmt: skip


_TABLE_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
    ]
)


def render_pdf(dashboard: Dashboard, *, compress: bool = True) -> bytes:
    """The report as a PDF. `compress=False` (tests) leaves the text streams readable."""
    title = _("Drug trend")
    return render_letter_pdf(
        _story(dashboard, title),
        title=title,
        subject=_("De-identified drug-trend figures for a plan sponsor"),
        margin=_MARGIN,
        footer=lambda page: _("rxportal drug-trend report · page %(page)d") % {"page": page},
        compress=compress,
    )


def _story(dashboard: Dashboard, title: str) -> list[Any]:
    styles = _styles()

    def p(text: str, style: str = "body") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    story: list[Any] = [
        p(title, "title"),
        p(f"{dashboard.client_name} · {dashboard.plan_name}"),
        p(period_text(dashboard)),
        p(small_cell_note()),
    ]
    width = 7.5 * inch
    for section in dashboard.sections:
        story += [Spacer(1, 6), p(section.title, "heading")]
        if not section.lines:
            story.append(p(_("No figures to show for this period.")))
            continue
        if section.columns == Columns.CHANGE:
            head = [p(section.row_header, "head"), p(_("Change"), "num_head")]
            widths = [width * 0.7, width * 0.3]
        else:
            head = [p(section.row_header, "head")] + [
                p(text, "num_head") for text in (_("This period"), _("Prior period"), _("Change"))
            ]
            widths = [width * 0.46] + [width * 0.18] * 3
        rows: list[list[Any]] = [head]
        for line in section.lines:
            figure = line.figure
            if figure.suppressed:
                cells = [p(suppressed_text(), "cell")] + [""] * (len(head) - 2)
            elif section.columns == Columns.CHANGE:
                cells = [p(format_value(figure.change, line.unit), "num")]
            else:
                cells = [
                    p(format_value(v, line.unit), "num")
                    for v in (figure.current, figure.prior, figure.change)
                ]
            rows.append([p(line.label, "cell"), *cells])
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        style = TableStyle(_TABLE_STYLE.getCommands())
        for index, line in enumerate(section.lines, start=1):
            if line.figure.suppressed and len(head) > 2:
                style.add("SPAN", (1, index), (-1, index))
        table.setStyle(style)
        story.append(table)
        if section.note:
            story.append(p(section.note))
    story += [Spacer(1, 6), p(_("Cost per member per month, by month"), "heading")]
    rows = [
        [p(_("Month"), "head")]
        + [p(text, "num_head") for text in (*dashboard.series_labels, _("Total"))]
    ]
    for row in dashboard.monthly:
        month = p(str(formats.date_format(row.month, "YEAR_MONTH_FORMAT")), "cell")
        if row.suppressed:
            rows.append([month, p(suppressed_text(), "cell"), "", ""])
        else:
            rows.append(
                [month]
                + [
                    p(format_value(v, Unit.MONEY), "num")
                    for v in (row.pmpm_plan, row.pmpm_member, row.pmpm_total)
                ]
            )
    table = Table(rows, colWidths=[width * 0.46] + [width * 0.18] * 3, repeatRows=1, hAlign="LEFT")
    style = TableStyle(_TABLE_STYLE.getCommands())
    for index, row in enumerate(dashboard.monthly, start=1):
        if row.suppressed:
            style.add("SPAN", (1, index), (-1, index))
    table.setStyle(style)
    story.append(table)
    return story
