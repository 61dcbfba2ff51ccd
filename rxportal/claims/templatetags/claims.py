"""Tags of the claims pages, written in Python because they repeat on every visit of the
claims list: ``{% claim_status claim %}`` (a claim's status in words, never colour alone) on
every row, and ``{% spending_chart_bars chart %}`` (the monthly chart's SVG elements)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from rxportal.claims.domain import SpendingChart
from rxportal.claims.models import Claim, ClaimStatus
from rxportal.web.templatetags.charts import render_bar_chart

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
        note = claim.reject_reason_label or _("No reason given")
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
    """The chart's gridlines, bars and month labels as SVG elements (drawn by the portal's one
    chart renderer, `web.templatetags.charts`)."""
    return render_bar_chart(chart, css="spending-chart")
