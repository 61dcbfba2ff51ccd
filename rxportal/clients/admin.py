from django.contrib import admin

from rxportal.audit.phi_admin import ReferenceAdminMixin
from rxportal.clients.models import Client


@admin.register(Client)
class ClientAdmin(ReferenceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "kind", "member_services_phone", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    readonly_fields = ("public_id", "created_at", "updated_at")
