from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The outbox: every email and text message the portal sends is a row here first."""

    name = "rxportal.notifications"
    label = "notifications"
