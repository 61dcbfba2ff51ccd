"""FHIR R4 patient_access views (to be built)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
