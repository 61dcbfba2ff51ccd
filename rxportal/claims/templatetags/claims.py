"""Tags of the claims pages, written in Python because they repeat on every visit of the
claims list: ``{% claim_rows %}`` (the table's rows), ``{% claim_status claim %}`` (a claim's
status in words, never colour alone), ``{% spending_month_rows %}`` (the monthly amounts'
table) and ``{% spending_chart_bars chart %}`` (the monthly chart's SVG elements).

Through the template engine a page of 25 rows of 7 cells was ~350 variable and tag renders,
each resolving, localizing and escaping on its own: more than everything else on the page. Here
each row is one ``format_html`` and the words every row shares are translated once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from rxportal.claims.domain import MonthSpending, SpendingChart
from rxportal.claims.models import Claim, ClaimStatus
from rxportal.web.templatetags.charts import render_bar_chart
from rxportal.web.templatetags.money import money

register = template.Library()


@register.simple_tag
def claim_rows(claims: Sequence[Claim], *, shows_family: bool, url_prefix: str) -> SafeString:
    """The ``<tr>`` of each claim of the history table: date, person (when the family is
    shown), drug linking to the claim's page, pharmacy, status and the two amounts."""
    not_recorded = _("Not recorded")
    paid = _paid_status()
    dates: dict[dt.date, str] = {}
    rows = []
    for claim in claims:
        day = dates.get(claim.service_date)
        if day is None:
            day = dates[claim.service_date] = date_format(claim.service_date, "DATE_FORMAT")
        person = format_html("<td>{}</td>", claim.member.first_name) if shows_family else ""
        rows.append(
            format_html(
                '<tr class="claim-row claim-row--{}{}">\n'
                '<td class="date">{}</td>{}\n'
                '<td><a href="{}{}/">{}</a></td>\n'
                "<td>{}</td>\n"
                "<td>{}</td>\n"
                '<td class="num">{}</td>\n'
                '<td class="num">{}</td>\n'
                "</tr>",
                claim.status,
                " claim-row--reversal" if claim.reverses_id else "",
                day,
                person,
                url_prefix,
                claim.public_id,
                claim.drug.display_name,
                claim.pharmacy.name if claim.pharmacy else not_recorded,
                paid if _is_plain_paid(claim) else claim_status(claim),
                money(claim.member_paid),
                money(claim.plan_paid),
            )
        )
    return SafeString("\n".join(rows))


@register.simple_tag
def spending_month_rows(months: Iterable[MonthSpending]) -> SafeString:
    """The rows of the monthly amounts' table (the chart's numbers as text)."""
    return format_html_join(
        "\n",
        '<tr>\n<th scope="row">{}</th>\n<td class="num">{}</td>\n'
        '<td class="num">{}</td>\n<td class="num">{}</td>\n</tr>',
        (
            (
                date_format(month.month, "F Y"),
                money(month.you_paid),
                money(month.plan_paid),
                month.paid_claims,
            )
            for month in months
        ),
    )


def _is_plain_paid(claim: Claim) -> bool:
    return not claim.reverses_id and claim.status == ClaimStatus.PAID


def _paid_status() -> SafeString:
    return format_html('<span class="status status--paid">{}</span>', _("Paid"))


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
    return _paid_status()


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
