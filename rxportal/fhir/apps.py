from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "rxportal.fhir"
    label = "fhir"
