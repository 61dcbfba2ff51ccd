"""Back-office views of drugs and formularies (loaded by `import_reference_data`)."""

from django.contrib import admin

from rxportal.audit.phi_admin import ReferenceAdminMixin
from rxportal.formulary.models import Drug, Formulary, FormularyEntry


@admin.register(Drug)
class DrugAdmin(ReferenceAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "rxcui",
        "ingredient",
        "strength",
        "dose_form",
        "is_brand",
        "therapeutic_class",
        "unit_cost_mode",
    )
    list_filter = ("is_brand", "is_insulin", "therapeutic_class")
    search_fields = ("name", "rxcui", "ingredient", "brand_name", "ndc")
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(Formulary)
class FormularyAdmin(ReferenceAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "plan_year", "source")
    list_filter = ("plan_year",)
    search_fields = ("code", "name", "source")
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(FormularyEntry)
class FormularyEntryAdmin(ReferenceAdminMixin, admin.ModelAdmin):
    list_display = (
        "drug",
        "formulary",
        "tier",
        "prior_authorization",
        "step_therapy",
        "quantity_limit",
        "quantity_limit_amount",
        "quantity_limit_days",
        "mail_eligible",
    )
    list_filter = (
        "tier",
        "prior_authorization",
        "step_therapy",
        "quantity_limit",
        "is_specialty",
        "formulary",
    )
    list_select_related = ("drug", "formulary")
    search_fields = ("drug__name", "drug__rxcui", "formulary__code")
    raw_id_fields = ("formulary", "drug")
    autocomplete_fields = ("alternatives",)
    readonly_fields = ("public_id", "created_at", "updated_at")
