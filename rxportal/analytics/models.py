"""Pre-aggregated rollups of the claims for the plan sponsors' drug-trend analytics.

Three tables, all written only by `analytics.services` and read only by `analytics.selectors`
(the dashboard never scans the claims table):

* `DrugMonthRollup`: one row per client, plan, month, drug, tier and channel with the sums
  (claims, days supply, total / plan / member paid) and the distinct members in that cell.
* `MemberMonthRollup`: one row per client, plan, month and member: eligibility (PMPM
  denominators), the member's claims and spend that month, and whether the member had reached
  the individual deductible / out-of-pocket maximum by the end of that month.
* `PeriodMemberRollup`: the distinct-member counts of each month, quarter and plan year, per
  plan and for the whole client, recounted from the member-month rows at refresh.

Why a per-member-month table: distinct counts (members, utilizers, members reaching the
deductible) cannot be summed across months, and a quarter's or a plan year's utilizers are the
distinct members with a claim in any of its months. With one row per member and month,
`COUNT(DISTINCT member)` over any set of months is exact, and the table is no bigger than the
eligibility itself (members x months), far smaller than the claims. The drug cells keep only
their own distinct-member count: over a period, a drug's (or tier's) distinct utilizers lie
between the largest cell count and the sum of the cell counts, which is what the small-cell
suppression needs (see `analytics.domain`). Only paid claims that were not reversed count;
rejected claims and reversal rows never do.

Rows hold internal member keys but no names, dates of birth or identifiers, and are never
shown as such: every figure leaves through the suppression in `analytics.domain`.
"""

from django.db import models

from rxportal.core.models import money_field


class DrugMonthRollup(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month of service")
    drug = models.ForeignKey("formulary.Drug", on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=32)
    channel = models.CharField(max_length=16)
    # Copied from the drug so the dashboard needs no join (brand / generic, class for top classes).
    is_brand = models.BooleanField(default=False)
    therapeutic_class = models.CharField(max_length=120, blank=True)
    claims = models.PositiveIntegerField()
    days_supply = models.PositiveIntegerField(help_text="30-day-adjusted scripts = this / 30")
    total_cost = money_field()
    plan_paid = money_field()
    member_paid = money_field()
    utilizers = models.PositiveIntegerField(help_text="Distinct members in this cell")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "month", "plan", "drug", "tier", "channel"],
                name="drug_month_rollup_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.month:%Y-%m} {self.drug_id}"


class MemberMonthRollup(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    eligible = models.BooleanField(help_text="Covered on some day of the month on this plan")
    claims = models.PositiveIntegerField(default=0)
    total_cost = money_field(default=0)
    plan_paid = money_field(default=0)
    member_paid = money_field(default=0)
    reached_deductible = models.BooleanField(default=False)
    reached_oop_max = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "month", "plan", "member"], name="member_month_rollup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.month:%Y-%m} {self.member_id}"


class PeriodMemberRollup(models.Model):
    """Distinct-member counts per period (month, quarter, plan year), per plan and for the
    whole client (`plan` null), computed from `MemberMonthRollup` when a month is refreshed,
    so the dashboard reads two rows instead of counting distinct members at page time."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(
        "plans.Plan", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10)  # analytics.domain.PeriodKind
    start = models.DateField()
    member_months = models.PositiveIntegerField()
    members = models.PositiveIntegerField()
    utilizers = models.PositiveIntegerField()
    reached_deductible = models.PositiveIntegerField()
    reached_oop_max = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["client", "kind", "start"], name="period_member_rollup_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.kind} {self.start}"
