"""FHIR R4 formulary views (to be built)."""

from typing import Any

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

# What this module serves, for the CapabilityStatement (rxportal.fhir.capability).
CAPABILITIES: list[dict[str, Any]] = []
