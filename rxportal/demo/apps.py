from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "rxportal.demo"
    label = "demo"
