"""/fhir/R4/: the server's metadata, the patient-access resources (``patient_access``), the
public formulary (``formulary``) and pharmacy directory (``directory``); anything else is a
FHIR 404 (OperationOutcome), never an HTML page."""

from django.urls import path, re_path

from rxportal.fhir import capability, directory, formulary, patient_access

app_name = "fhir"

urlpatterns = [
    path("metadata", capability.metadata, name="metadata"),
    *patient_access.urlpatterns,
    *formulary.urlpatterns,
    *directory.urlpatterns,
    re_path(r"^(?P<rest>.*)$", capability.unknown_resource, name="unknown"),
]
