"""Errors registering or ending a connected app, with stable dotted codes."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class AppRegistrationError(DomainError):
    code = "connected_app.registration_error"


class AppNameTaken(AppRegistrationError):
    """Members pick an app by its name on the consent screen: two apps may not share one."""

    code = "connected_app.name_taken"


class RedirectUriRefused(AppRegistrationError):
    """A redirect URI the authorization endpoint would refuse (``domain``)."""

    code = "connected_app.redirect_uri_refused"


class AppNotFound(AppRegistrationError):
    code = "connected_app.not_found"
