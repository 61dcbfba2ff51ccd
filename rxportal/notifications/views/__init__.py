"""The outbox's pages: ``staff`` (failed deliveries, under /staff/), ``inbox`` (a person's
messages), ``preferences`` (their settings page) and ``unsubscribe`` (RFC 8058 one-click)."""

from rxportal.notifications.views.staff import failed_list, resend

__all__ = ["failed_list", "resend"]
