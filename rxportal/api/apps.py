from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "rxportal.api"
    label = "api"
