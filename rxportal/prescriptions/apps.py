from django.apps import AppConfig


class PrescriptionsConfig(AppConfig):
    name = "rxportal.prescriptions"
    label = "prescriptions"
