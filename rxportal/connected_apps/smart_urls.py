"""SMART App Launch discovery beside the FHIR base: mounted at fhir/R4/.well-known/, ahead of
the FHIR URLs (rxportal/fhir belongs to the FHIR edge)."""

from django.urls import path

from rxportal.connected_apps.views import smart_configuration

app_name = "smart"

urlpatterns = [
    path("smart-configuration", smart_configuration, name="configuration"),
]
