"""What the drug-trend dashboard shows, in the order it shows it: the one source of the page,
its CSV and its PDF (`analytics.exports`), so an export holds exactly the page's figures for the
same filters, suppressed cells included.

Labels are translated here (the edge's job: the selector returns facts); the figures stay
Decimals with a unit, formatted by each output (the page localizes, the CSV writes plain numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from rxportal.analytics.domain import Figure, Period, RankedCost
from rxportal.analytics.selectors import DrugTrend
from rxportal.analytics.series import MonthlyCost
from rxportal.core.charts import BarChart, compute_monthly_bar_chart
from rxportal.plans.models import Tier


class Unit(StrEnum):
    MONEY = "money"
    PERCENT = "percent"  # a ratio (0.8125 is 81.25%)
    NUMBER = "number"


class Columns(StrEnum):
    COMPARE = "compare"  # this period, prior period, change
    CHANGE = "change"  # the change only (the trend decomposition)


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    figure: Figure
    unit: Unit


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # stable, for anchors and tests
    title: str
    row_header: str  # the first column's heading: figure, drug, class, tier
    lines: list[Line]
    columns: Columns = Columns.COMPARE
    note: str = ""


@dataclass(frozen=True, slots=True)
class Dashboard:
    client_name: str
    plan_name: str  # "All plans" when no plan is chosen
    period: Period
    prior_period: Period
    suppressed: bool  # the whole period describes fewer than 11 members
    sections: list[Section]
    monthly: list[MonthlyCost]
    chart: BarChart
    series_labels: tuple[str, str]  # plan paid, member paid: the chart's stacked series


def tier_label(code: str) -> str:
    """The tier's name (`plans.models.Tier`), or its code for a tier the plans do not name."""
    try:
        return str(Tier(code).label)
    except ValueError:
        return code


def _ranked_lines(rows: list[RankedCost], labels: dict[str, str]) -> list[Line]:
    return [Line(labels.get(row.key, row.key), row.cost, Unit.MONEY) for row in rows]


def build_dashboard(trend: DrugTrend, *, client_name: str, plan_name: str | None) -> Dashboard:
    report = trend.report
    decomposition = report.decomposition

    def change(value: Decimal | None) -> Figure:
        return Figure(None, None, value, suppressed=decomposition.suppressed)

    sections = [
        Section(
            "cost",
            _("Cost per member per month"),
            _("Figure"),
            [
                Line(_("Total cost per member per month"), report.pmpm_total, Unit.MONEY),
                Line(_("Plan cost per member per month"), report.pmpm_plan, Unit.MONEY),
                Line(_("Member cost per member per month"), report.pmpm_member, Unit.MONEY),
            ],
        ),
        Section(
            "decomposition",
            _("What changed the cost per member per month"),
            _("Effect"),
            [
                Line(
                    _("Utilization (more or fewer scripts per member)"),
                    change(decomposition.utilization),
                    Unit.MONEY,
                ),
                Line(
                    _("Unit cost (price per script of the same drugs)"),
                    change(decomposition.unit_cost),
                    Unit.MONEY,
                ),
                Line(
                    _("Mix (a shift between cheaper and dearer drugs)"),
                    change(decomposition.mix),
                    Unit.MONEY,
                ),
                Line(_("Total change"), change(decomposition.total), Unit.MONEY),
            ],
            columns=Columns.CHANGE,
            note=_("The three effects add up to the total change against the prior period."),
        ),
        Section(
            "use",
            _("Members and use"),
            _("Figure"),
            [
                Line(_("Member-months"), report.member_months, Unit.NUMBER),
                Line(_("Members"), report.members, Unit.NUMBER),
                Line(_("Members with a claim"), report.utilizers, Unit.NUMBER),
                Line(_("Claims per 1,000 members a year"), report.claims_per_1000, Unit.NUMBER),
                Line(
                    _("30-day scripts per 1,000 members a year"),
                    report.scripts_30_per_1000,
                    Unit.NUMBER,
                ),
                Line(_("Generic dispensing rate"), report.generic_dispensing_rate, Unit.PERCENT),
                Line(_("Specialty share of cost"), report.specialty_share, Unit.PERCENT),
                Line(_("Mail-order share of 30-day scripts"), report.mail_share, Unit.PERCENT),
            ],
        ),
        Section(
            "members",
            _("Members' costs"),
            _("Figure"),
            [
                Line(_("Members' share of cost"), report.member_cost_share, Unit.PERCENT),
                Line(
                    _("Members who reached the deductible"), report.reached_deductible, Unit.NUMBER
                ),
                Line(
                    _("Members who reached the out-of-pocket maximum"),
                    report.reached_oop_max,
                    Unit.NUMBER,
                ),
            ],
        ),
        Section(
            "tiers",
            _("Average cost per script by tier"),
            _("Tier"),
            [
                Line(tier_label(tier.tier), tier.average_cost_per_script, Unit.MONEY)
                for tier in report.tiers
            ],
        ),
        Section(
            "classes",
            _("Top therapeutic classes by cost"),
            _("Therapeutic class"),
            _ranked_lines(report.top_classes, {}),
        ),
        Section(
            "drugs",
            _("Top drugs by cost"),
            _("Drug"),
            _ranked_lines(
                report.top_drugs, {key: label.name for key, label in trend.drugs.items()}
            ),
        ),
    ]
    series_labels = (_("Plan paid"), _("Member paid"))
    chart = compute_monthly_bar_chart(
        [row.month for row in trend.monthly],
        [[row.pmpm_plan for row in trend.monthly], [row.pmpm_member for row in trend.monthly]],
    )
    return Dashboard(
        client_name=client_name,
        plan_name=plan_name or _("All plans"),
        period=report.period,
        prior_period=report.prior_period,
        suppressed=report.suppressed,
        sections=sections,
        monthly=trend.monthly,
        chart=chart,
        series_labels=series_labels,
    )


def format_value(value: Decimal | None, unit: Unit | str) -> str:
    """A figure as people read it, localized: $1,234.56, 81.3%, 12,000.0; a dash for none."""
    if value is None:
        return "—"
    if unit == Unit.MONEY:
        sign = "-" if value < 0 else ""
        return sign + "$" + number_format(abs(value), 2, force_grouping=True)
    if unit == Unit.PERCENT:
        return number_format(value * 100, 1, force_grouping=True) + "%"
    return number_format(value, force_grouping=True)


def export_filename(dashboard: Dashboard, extension: str) -> str:
    """drug-trend-<period kind>-<its first day>.<extension>."""
    period = dashboard.period
    return f"drug-trend-{period.kind.value}-{period.start.isoformat()}.{extension}"
