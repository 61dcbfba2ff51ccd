"""What a member allowed an app to do: one consent per user and app.

django-oauth-toolkit keeps the apps (``Application``) and their codes and tokens; this table keeps
the member's answer on the consent screen: the scopes they allowed and, for SMART
``launch/patient``, the family member whose records the app opens. A new consent replaces the
old one; disconnecting an app deletes it with every token of that app (``services``), and a
token without a consent behind it reads nothing (``bearer``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rxportal.core.models import BaseModel


class AppConsent(BaseModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_consents"
    )
    application = models.ForeignKey(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="member_consents"
    )
    # The member whose records the app reads: the user's own record, or a family member the
    # family-access rule let them choose. Each read checks that rule again.
    patient = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="app_consents"
    )
    scopes = models.TextField(help_text="Space-separated scopes the member allowed.")
    granted_at = models.DateTimeField()
    # When the member last passed the full sign-in before allowing (the session's sign-in time):
    # the ID token's auth_time. Null when the session held no such time (then last_login).
    signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "application"], name="connected_apps_one_consent_per_app"
            )
        ]

    def __str__(self) -> str:
        return f"consent {self.public_id} of user {self.user_id} to app {self.application_id}"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
