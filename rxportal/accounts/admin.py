"""Accounts in the back office: people's names, email addresses, second factors and sessions.

All of them hold a person's data, so they use the audited PHI base (superusers only; the account
team works in the staff console). allauth registers its own admins first (its apps come before
ours in INSTALLED_APPS); they are registered again here on that base. Django's permission
groups are configuration, registered again on the reference base.
"""

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from allauth.usersessions.admin import UserSessionAdmin
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse

from rxportal.accounts.models import User
from rxportal.audit.phi_admin import PhiAdminMixin, ReferenceAdminMixin


@admin.register(User)
class PortalUserAdmin(PhiAdminMixin, UserAdmin):
    list_display = ("username", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (*UserAdmin.fieldsets, ("Portal", {"fields": ("role", "organization_claim")}))  # type: ignore[misc]

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """The user admin's own page (set a password): refused and recorded like the others."""
        self._refuse_unless_allowed(request, "password")
        return super().user_change_password(request, id, form_url)


for _model in (EmailAddress, Authenticator, UserSession, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(EmailAddress)
class AuditedEmailAddressAdmin(PhiAdminMixin, EmailAddressAdmin):
    pass


@admin.register(Authenticator)
class AuditedAuthenticatorAdmin(PhiAdminMixin, AuthenticatorAdmin):
    pass


@admin.register(UserSession)
class AuditedUserSessionAdmin(PhiAdminMixin, UserSessionAdmin):
    pass


@admin.register(Group)
class PortalGroupAdmin(ReferenceAdminMixin, GroupAdmin):
    """Permission groups are configuration (their delete page lists the group, not its users)."""
