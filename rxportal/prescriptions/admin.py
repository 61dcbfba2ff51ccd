from django.contrib import admin

from rxportal.prescriptions.models import Prescription


@admin.register(Prescription)
class PrescriptionAdmin(admin.ModelAdmin):
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
