from django.apps import AppConfig


class FormularyConfig(AppConfig):
    name = "rxportal.formulary"
    label = "formulary"
