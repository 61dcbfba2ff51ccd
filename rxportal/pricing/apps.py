from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "rxportal.pricing"
    label = "pricing"
