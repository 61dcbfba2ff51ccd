from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rxportal.audit.phi_admin import ReferenceAdminMixin
from rxportal.plans.models import CostShare, Plan


class CostShareInline(admin.TabularInline):
    model = CostShare
    extra = 0
    fields = (
        "tier",
        "channel",
        "copay",
        "coinsurance_pct",
        "minimum",
        "maximum",
        "deductible_applies",
    )


@admin.register(Plan)
class PlanAdmin(ReferenceAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "client",
        "kind",
        "plan_year",
        "rx_bin",
        "rx_pcn",
        "rx_group",
        "deductible_individual",
        "oop_max_individual",
    )
    list_filter = ("kind", "plan_year", "client")
    list_select_related = ("client",)
    search_fields = ("code", "name", "rx_group", "client__name", "issuer_name")
    raw_id_fields = ("client", "formulary", "network")
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = (CostShareInline,)
    fieldsets = (
        (None, {"fields": ("client", "code", "name", "kind", "plan_year", "issuer_name")}),
        (_("Pharmacy billing"), {"fields": ("rx_bin", "rx_pcn", "rx_group")}),
        (
            _("Formulary and network"),
            {"fields": ("formulary", "network", "out_of_network_covered")},
        ),
        (
            _("Limits"),
            {
                "fields": (
                    "deductible_individual",
                    "deductible_family",
                    "oop_max_individual",
                    "oop_max_family",
                    "insulin_monthly_cap",
                )
            },
        ),
        (_("Record"), {"fields": ("source_plan_id", "public_id", "created_at", "updated_at")}),
    )
