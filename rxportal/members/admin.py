from django.contrib import admin
from django.http import HttpRequest

from rxportal.audit.phi_admin import PhiAdminMixin
from rxportal.members.models import FamilyAccessGrant, Member


@admin.register(Member)
class MemberAdmin(PhiAdminMixin, admin.ModelAdmin):
    list_display = (
        "member_id",
        "person_code",
        "last_name",
        "first_name",
        "relationship",
        "client",
        "plan",
        "coverage_start",
        "coverage_end",
    )
    list_filter = ("relationship", "client", "plan")
    list_select_related = ("client", "plan")
    search_fields = ("member_id", "last_name", "first_name", "email", "user__username")
    raw_id_fields = ("client", "plan", "user", "subscriber")
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(FamilyAccessGrant)
class FamilyAccessGrantAdmin(PhiAdminMixin, admin.ModelAdmin):
    """Read-only: consent is given and removed by the member themself (audited service)."""

    list_display = ("public_id", "grantor", "grantee", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    list_select_related = ("grantor", "grantee")
    search_fields = ("grantor__member_id", "grantee__member_id")
    raw_id_fields = ("grantor", "grantee")
    readonly_fields = ("public_id", "grantor", "grantee", "created_at", "updated_at", "revoked_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
