"""FHIR R4 directory views (to be built)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
