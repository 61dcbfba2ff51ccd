from django.contrib import admin

from rxportal.audit.phi_admin import PhiAdminMixin
from rxportal.prescriptions.models import (
    Prescription,
    RefillRequest,
    RefillRequestLine,
    RenewalRequest,
)


@admin.register(Prescription)
class PrescriptionAdmin(PhiAdminMixin, admin.ModelAdmin):
    list_display = (
        "rx_number",
        "member",
        "drug",
        "status",
        "written_on",
        "expires_on",
        "refills_remaining",
        "last_filled_on",
        "auto_refill",
    )
    list_filter = ("status", "auto_refill")
    list_select_related = ("member", "drug")
    search_fields = (
        "rx_number",
        "member__member_id",
        "member__last_name",
        "drug__name",
        "prescriber_name",
    )
    raw_id_fields = ("member", "drug")
    readonly_fields = ("public_id", "created_at", "updated_at")
    date_hierarchy = "written_on"


class RefillRequestLineInline(admin.TabularInline):
    model = RefillRequestLine
    extra = 0
    raw_id_fields = ("prescription",)
    readonly_fields = ("previous_last_filled_on",)


@admin.register(RefillRequest)
class RefillRequestAdmin(PhiAdminMixin, admin.ModelAdmin):
    list_display = ("public_id", "member", "fulfilment", "status", "is_automatic", "created_at")
    list_filter = ("fulfilment", "status", "is_automatic")
    list_select_related = ("member",)
    search_fields = ("public_id", "member__member_id", "idempotency_key")
    raw_id_fields = ("member", "requested_by", "pharmacy", "mail_order")
    readonly_fields = ("public_id", "idempotency_key", "created_at", "updated_at")
    inlines = [RefillRequestLineInline]
    date_hierarchy = "created_at"


@admin.register(RenewalRequest)
class RenewalRequestAdmin(PhiAdminMixin, admin.ModelAdmin):
    list_display = ("public_id", "prescription", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("prescription",)
    search_fields = ("public_id", "prescription__rx_number")
    raw_id_fields = ("prescription", "requested_by")
    readonly_fields = ("public_id", "created_at", "updated_at")
