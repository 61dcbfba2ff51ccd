from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "rxportal.claims"
    label = "claims"
