from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "rxportal.analytics"
    label = "analytics"
