"""Register a member's chosen third-party app (CMS Patient Access), or end one, without code.

A public client with PKCE, like the demo mobile app: the portal keeps no secret for it, so the
command prints only the client id. Scopes are not limited per app (DOT's Application has no
such field): every app may ask for the scopes in ``scopes.SCOPE_DESCRIPTIONS``, and the member
allows them on the consent screen.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rxportal.connected_apps.errors import AppNameTaken, AppRegistrationError
from rxportal.connected_apps.forms import AppNameForm
from rxportal.connected_apps.services import end_registered_app, register_public_app


class Command(BaseCommand):
    help = (
        "Register a third-party app as a public OAuth client (PKCE), or end one with --disable "
        "(every member's tokens and consents for it, then the app)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", help="the app's name, shown to members on the consent screen")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            default=[],
            dest="redirect_uris",
            help="an exact redirect URI (repeat for several): https, rxportal-mobile:, "
            "or http to 127.0.0.1 / [::1]",
        )
        parser.add_argument(
            "--disable", metavar="CLIENT_ID", help="end this app instead of registering one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["disable"]:
            if options["name"] or options["redirect_uris"]:
                raise CommandError("--disable takes no --name or --redirect-uri")
            self._disable(options["disable"])
            return
        if not options["name"] or not options["redirect_uris"]:
            raise CommandError("give --name and at least one --redirect-uri (or --disable)")
        name_form = AppNameForm(data={"name": options["name"]})
        if not name_form.is_valid() and name_form.has_error("name", code="name_taken"):
            raise CommandError(
                f"{' '.join(str(m) for m in name_form.errors['name'])} ({AppNameTaken.code}); nothing was saved"
            )
        try:
            application = register_public_app(
                name=options["name"], redirect_uris=options["redirect_uris"]
            )
        except AppRegistrationError as error:
            raise CommandError(f"{error.message} ({error.code}); nothing was saved") from error
        self.stdout.write(f"registered {application.name!r} as a public client (PKCE S256)")
        self.stdout.write(f"client_id: {application.client_id}")

    def _disable(self, client_id: str) -> None:
        try:
            consents_ended = end_registered_app(client_id=client_id)
        except AppRegistrationError as error:
            raise CommandError(f"{error.message} ({error.code})") from error
        self.stdout.write(
            f"ended app {client_id}: its tokens revoked, {consents_ended} member consent(s) "
            "ended, the app removed"
        )
