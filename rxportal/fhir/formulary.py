"""FHIR R4 formulary views (to be built)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
