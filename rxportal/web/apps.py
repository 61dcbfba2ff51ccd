from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "rxportal.web"
    label = "web"

    def ready(self) -> None:
        from rxportal.web.record_changes import connect_receivers

        connect_receivers()
