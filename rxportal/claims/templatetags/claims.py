"""Tags of the claims pages, written in Python because they repeat on every visit of the
claims list: ``{% claim_status claim %}`` (a claim's status in words, never colour alone) on
every row, and ``{% spending_chart_bars chart %}`` (the monthly chart's SVG elements)."""

from __future__ import annotations

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from rxportal.claims.domain import SpendingChart
from rxportal.claims.models import Claim, ClaimStatus
from rxportal.web.templatetags.money import money

register = template.Library()


@register.simple_tag
def claim_status(claim: Claim) -> SafeString:
    if claim.reverses_id:
        return _status(
            "reversal",
            _("Reversal"),
            _("Cancels claim %(number)s; not counted in totals")
            % {"number": claim.reverses.claim_number if claim.reverses else ""},
        )
    if claim.status == ClaimStatus.REVERSED:
        return _status("reversed", _("Reversed"), _("Cancelled; not counted in totals"))
    if claim.status == ClaimStatus.REJECTED:
        note = claim.reject_reason or _("No reason given")
        if claim.reject_code:
            note = f"{note} ({_('code %(code)s') % {'code': claim.reject_code}})"
        return _status("rejected", _("Rejected"), note)
    return format_html('<span class="status status--paid">{}</span>', _("Paid"))


def _status(kind: str, label: str, note: str) -> SafeString:
    return format_html(
        '<span class="status status--{}">{}</span> <span class="claim-note">{}</span>',
        kind,
        label,
        note,
    )


@register.simple_tag
def spending_chart_bars(chart: SpendingChart) -> SafeString:
    """The chart's gridlines, bars and month labels as SVG elements.

    Built here rather than in template loops: the claims page renders it on every visit, and
    a dozen template nodes per bar were a large share of that page's time.
    """
    parts: list[str] = []
    axis_x = chart.plot_left - 6
    for line in chart.gridlines:
        parts.append(
            format_html(
                '<line class="spending-chart__grid" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
                '<text class="spending-chart__axis" x="{}" y="{}" dy="5" text-anchor="end">'
                "{}</text>",
                chart.plot_left,
                chart.plot_right,
                line.y,
                line.y,
                axis_x,
                line.y,
                line.label,
            )
        )
    for bar in chart.bars:
        parts.append(
            format_html(
                '<rect class="spending-chart__bar" x="{}" y="{}" width="{}" height="{}">'
                "<title>{}: {}</title></rect>",
                bar.x,
                bar.y,
                bar.width,
                bar.height,
                date_format(bar.month, "F Y"),
                money(bar.amount),
            )
        )
        if bar.show_label:
            parts.append(_chart_label(bar.label_x, chart.label_y, date_format(bar.month, "M")))
        if bar.show_year:
            parts.append(_chart_label(bar.label_x, chart.year_y, date_format(bar.month, "Y")))
    return mark_safe("".join(parts))  # noqa: S308 (every part comes from format_html)


def _chart_label(x: str, y: str, text: str) -> str:
    return format_html(
        '<text class="spending-chart__label" x="{}" y="{}" text-anchor="middle">{}</text>',
        x,
        y,
        text,
    )
