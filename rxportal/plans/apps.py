from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "rxportal.plans"
    label = "plans"
