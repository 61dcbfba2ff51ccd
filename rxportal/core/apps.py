from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "rxportal.core"
    label = "core"
