"""Mounted at clients/<client>/tools/ ahead of the clients app (see rxportal/urls.py), so these
two tools' paths win over the placeholder ``clients:tool``."""

from django.urls import path

from rxportal.sponsor_tools import views

app_name = "sponsor_tools"
urlpatterns = [
    path("eligibility/", views.eligibility, name="eligibility"),
    path("claims-reports/", views.claims_reports, name="claims_reports"),
    path("claims-reports/<uuid:report_public_id>/", views.claims_report, name="claims_report"),
    path(
        "claims-reports/<uuid:report_public_id>/download/",
        views.claims_report_download,
        name="claims_report_download",
    ),
    path(
        "claims-reports/<uuid:report_public_id>/again/",
        views.claims_report_again,
        name="claims_report_again",
    ),
]
