from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "rxportal.web"
    label = "web"
