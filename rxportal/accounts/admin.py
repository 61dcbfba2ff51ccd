from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from rxportal.accounts.models import User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (*UserAdmin.fieldsets, ("Portal", {"fields": ("role", "organization")}))  # type: ignore[misc]
