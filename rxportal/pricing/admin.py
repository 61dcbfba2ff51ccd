from django.contrib import admin

from rxportal.audit.phi_admin import PhiAdminMixin
from rxportal.pricing.models import PriceQuote


@admin.register(PriceQuote)
class PriceQuoteAdmin(PhiAdminMixin, admin.ModelAdmin):
    """Read-only: a quote is a promise to the member, never edited after the fact."""

    list_display = ("public_id", "quoted_at", "channel", "member_pays", "valid_until")
    list_filter = ("channel",)
    search_fields = ("public_id",)
    raw_id_fields = ("member", "plan", "drug", "pharmacy")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
