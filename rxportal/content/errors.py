"""Errors of the content hub."""

from rxportal.core.errors import DomainError


class WebinarRegistrationClosed(DomainError):
    code = "webinar.registration_closed"
