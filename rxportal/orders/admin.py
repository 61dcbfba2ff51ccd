from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from rxportal.audit.phi_admin import PhiAdminMixin
from rxportal.orders.models import MailOrder, MailOrderEvent, MailOrderLine, ShippingAddress


class MailOrderLineInline(admin.TabularInline):
    model = MailOrderLine
    extra = 0
    raw_id_fields = ("prescription",)


class MailOrderEventInline(admin.TabularInline):
    """The status timeline is append-only: staff may add a step, never edit or remove one."""

    model = MailOrderEvent
    extra = 0
    can_delete = False
    fields = ("occurred_at", "status", "reason")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(MailOrder)
class MailOrderAdmin(PhiAdminMixin, admin.ModelAdmin):
    list_display = (
        "order_number",
        "member",
        "status",
        "ordered_at",
        "expected_delivery",
        "carrier",
        "tracking_number",
    )
    list_filter = ("status", "carrier")
    list_select_related = ("member",)
    search_fields = ("order_number", "member__member_id", "member__last_name", "tracking_number")
    raw_id_fields = ("member",)
    readonly_fields = ("public_id", "created_at", "updated_at")
    date_hierarchy = "ordered_at"
    inlines = (MailOrderLineInline, MailOrderEventInline)


@admin.register(ShippingAddress)
class ShippingAddressAdmin(PhiAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "member", "is_default", "created_at")
    list_filter = ("is_default", "state")
    list_select_related = ("member",)
    search_fields = ("member__member_id", "zip_code", "city")
    raw_id_fields = ("member",)
    readonly_fields = ("public_id", "created_at", "updated_at")
