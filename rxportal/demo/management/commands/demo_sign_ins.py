"""Print the development demo sign-ins (what `make run` shows before it serves)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from rxportal.accounts.challenge_questions import CHALLENGE_QUESTIONS_BY_SLUG
from rxportal.accounts.services.demo import (
    DEMO_CHALLENGE_ANSWER,
    DEMO_CHALLENGE_QUESTIONS,
    DEMO_SITEKEY_PHRASE,
    DEMO_TOTP_SECRET,
)
from rxportal.clients.models import ClientLink
from rxportal.connected_apps.services import (
    DEMO_MOBILE_APP_NAME,
    DEMO_MOBILE_CLIENT_ID,
    DEMO_MOBILE_REDIRECT_URIS,
)
from rxportal.demo.services import DEMO_ACCOUNTS


class Command(BaseCommand):
    help = "Print the demo sign-ins (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.RXPORTAL_CREATE_DEMO_ACCOUNTS:
            self.stdout.write("Demo sign-ins exist only in development.")
            return
        self.stdout.write("")
        self.stdout.write("rxportal demo sign-ins (development only):")
        width = max(len(account.username) for account in DEMO_ACCOUNTS)
        for account in DEMO_ACCOUNTS:
            self.stdout.write(
                f"  {account.username.ljust(width)}  {account.password}  ({account.role})"
            )
        self.stdout.write("")
        self.stdout.write(
            "  On a browser the portal does not know yet: username, then one security"
        )
        self.stdout.write(
            "  question (the same answer for all of them), then the SiteKey and password,"
        )
        self.stdout.write("  then (members, staff) a code from the authenticator app.")
        self.stdout.write(f"  Answer to every challenge question:       {DEMO_CHALLENGE_ANSWER}")
        for slug in DEMO_CHALLENGE_QUESTIONS:
            self.stdout.write(f"    {CHALLENGE_QUESTIONS_BY_SLUG[slug].text}")
        self.stdout.write(f"  SiteKey phrase shown after the answer:    {DEMO_SITEKEY_PHRASE}")
        self.stdout.write(f"  Authenticator app secret (members, staff): {DEMO_TOTP_SECRET}")
        self.stdout.write("    add it to any TOTP app (30 s, 6 digits, SHA-1) to get sign-in codes")
        self.stdout.write("")
        self.stdout.write("Portal:      http://127.0.0.1:8000/")
        self.stdout.write(
            f"Staff:       staff console: {reverse('staff:home')} "
            "(demo-service verifies callers, demo-accountteam manages accounts)"
        )
        self.stdout.write(
            f"             back office: /{settings.RXPORTAL_ADMIN_PATH} "
            "(plans, drugs, pharmacies; superusers: audited records)"
        )
        home = reverse("clients:home")
        self.stdout.write(
            f"Clients:     demo-client opens {home}: its three tools are approved (drug trend,"
        )
        self.stdout.write("             eligibility lookup, claims reports), one link each")
        drug_trend = demo_client_drug_trend_path()
        if drug_trend:
            self.stdout.write(f"             drug trend: {drug_trend}")
        self.stdout.write(
            f"             demo-advisor (two clients) opens {home} with requests in every stage;"
        )
        self.stdout.write(
            "             two wait in the account team's queue, where demo-accountteam decides"
            f" them: {reverse('staff:clients_queue')}"
        )
        self.stdout.write(
            f"Mobile app:  {DEMO_MOBILE_APP_NAME}: public client id {DEMO_MOBILE_CLIENT_ID}, "
            "authorization code with PKCE (S256)"
        )
        self.stdout.write(
            f"             at {reverse('oauth2_provider:authorize')}, redirect URIs "
            f"{' or '.join(DEMO_MOBILE_REDIRECT_URIS)} (any loopback port)"
        )
        self.stdout.write(
            "             SMART discovery: /fhir/R4/.well-known/smart-configuration; members "
            f"see and disconnect apps at {reverse('connected_apps:list')}"
        )
        self.stdout.write("")


def demo_client_drug_trend_path() -> str:
    """The drug-trend page of demo-client's client, once seed_demo has linked them."""
    link = (
        ClientLink.objects.filter(user__username="demo-client", ended_at__isnull=True)
        .select_related("client")
        .first()
    )
    if link is None:
        return ""
    return reverse("analytics:drug_trend", args=[link.client.public_id])
