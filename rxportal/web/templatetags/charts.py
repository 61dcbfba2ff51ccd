"""`{% bar_chart_elements chart css %}`: the gridlines, bars and month labels of a monthly bar
chart (`core.charts.BarChart`) as SVG elements, for every chart of the portal.

Built in Python rather than in template loops: the claims page renders its chart on every visit,
and a dozen template nodes per bar were a large share of that page's time. Classes are
`<css>__grid`, `<css>__axis`, `<css>__label` and `<css>__bar` (`<css>__bar--<series>` on each
segment of a stacked bar), so each page styles its chart in its own stylesheet.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from rxportal.core.charts import BarChart
from rxportal.web.templatetags.money import money

register = template.Library()


@register.simple_tag
def bar_chart_elements(
    chart: BarChart, css: str, series_labels: Sequence[str] | None = None
) -> SafeString:
    """One <rect> per bar when there is one series; with `series_labels`, one <rect> per
    segment, its tooltip naming the series."""
    return render_bar_chart(chart, css=css, series_labels=series_labels)


def render_bar_chart(
    chart: BarChart, *, css: str, series_labels: Sequence[str] | None = None
) -> SafeString:
    parts: list[str] = []
    axis_x = chart.plot_left - 6
    for line in chart.gridlines:
        parts.append(
            format_html(
                '<line class="{}__grid" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
                '<text class="{}__axis" x="{}" y="{}" dy="5" text-anchor="end">'
                "{}</text>",
                css,
                chart.plot_left,
                chart.plot_right,
                line.y,
                line.y,
                css,
                axis_x,
                line.y,
                line.label,
            )
        )
    for bar in chart.bars:
        month = date_format(bar.month, "F Y")
        if series_labels is None:
            parts.append(
                format_html(
                    '<rect class="{}__bar" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}: {}</title></rect>",
                    css,
                    bar.x,
                    bar.y,
                    bar.width,
                    bar.height,
                    month,
                    money(bar.amount),
                )
            )
        else:
            for segment in bar.segments:
                parts.append(
                    format_html(
                        '<rect class="{}__bar {}__bar--{}" x="{}" y="{}" width="{}" height="{}">'
                        "<title>{}, {}: {}</title></rect>",
                        css,
                        css,
                        segment.series,
                        bar.x,
                        segment.y,
                        bar.width,
                        segment.height,
                        month,
                        series_labels[segment.series],
                        money(segment.amount),
                    )
                )
        if bar.show_label:
            parts.append(_label(css, bar.label_x, chart.label_y, date_format(bar.month, "M")))
        if bar.show_year:
            parts.append(_label(css, bar.label_x, chart.year_y, date_format(bar.month, "Y")))
    return mark_safe("".join(parts))  # noqa: S308 (every part comes from format_html)


def _label(css: str, x: str, y: str, text: str) -> str:
    return format_html(
        '<text class="{}__label" x="{}" y="{}" text-anchor="middle">{}</text>', css, x, y, text
    )
