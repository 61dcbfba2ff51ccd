from django.apps import AppConfig


class PharmaciesConfig(AppConfig):
    name = "rxportal.pharmacies"
    label = "pharmacies"
