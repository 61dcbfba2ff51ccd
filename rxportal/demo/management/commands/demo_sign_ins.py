"""Print the development demo sign-ins (what `make run` shows before it serves)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from rxportal.accounts.services.demo import (
    DEMO_CHALLENGE_ANSWER,
    DEMO_SITEKEY_PHRASE,
    DEMO_TOTP_SECRET,
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
        self.stdout.write(f"  SiteKey phrase shown before the password: {DEMO_SITEKEY_PHRASE}")
        self.stdout.write(f"  Answer to every challenge question:       {DEMO_CHALLENGE_ANSWER}")
        self.stdout.write(f"  Authenticator app secret (members, staff): {DEMO_TOTP_SECRET}")
        self.stdout.write("    add it to any TOTP app (30 s, 6 digits, SHA-1) to get sign-in codes")
        self.stdout.write("")
        self.stdout.write(
            "  demo-client and demo-advisor (linked to two clients) open /clients/ with access"
        )
        self.stdout.write(
            "    requests in every stage; demo-accountteam decides them at /staff/clients/"
        )
        self.stdout.write("")
        self.stdout.write(
            f"Portal:      http://127.0.0.1:8000/    back office: /{settings.RXPORTAL_ADMIN_PATH}"
        )
        self.stdout.write("")
