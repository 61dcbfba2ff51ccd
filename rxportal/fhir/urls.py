"""/fhir/R4/: the patient-access resources (``patient_access``), the public formulary
(``formulary``) and pharmacy directory (``directory``), and the server's metadata."""

from rxportal.fhir import directory, formulary, patient_access

app_name = "fhir"

urlpatterns = [*patient_access.urlpatterns, *formulary.urlpatterns, *directory.urlpatterns]
