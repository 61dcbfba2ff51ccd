from django.contrib import admin

from rxportal.members.models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
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
