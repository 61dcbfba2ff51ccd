"""Claims and accumulators are a financial record: the back office can read them, never edit them.

Corrections are reversals (new claims) made by services, not edits in the admin.
"""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from rxportal.audit.phi_admin import PhiAdminMixin
from rxportal.claims.models import Accumulator, Claim


class ReadOnlyAdmin(PhiAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = (
        "claim_number",
        "service_date",
        "member",
        "drug",
        "pharmacy",
        "status",
        "channel",
        "total_cost",
        "plan_paid",
        "member_paid",
    )
    list_filter = ("status", "channel", "tier", "plan")
    list_select_related = ("member", "drug", "pharmacy")
    search_fields = ("claim_number", "member__member_id", "member__last_name", "drug__name")
    date_hierarchy = "service_date"


@admin.register(Accumulator)
class AccumulatorAdmin(ReadOnlyAdmin):
    list_display = (
        "member",
        "plan",
        "plan_year",
        "scope",
        "deductible_met",
        "oop_met",
        "updated_at",
    )
    list_filter = ("scope", "plan_year", "plan")
    list_select_related = ("member", "plan")
    search_fields = ("member__member_id", "member__last_name")
