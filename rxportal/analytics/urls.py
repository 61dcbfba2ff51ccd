"""The drug-trend tool's pages, under /clients/<client>/tools/drug-trend/ (see rxportal/urls.py)."""

from django.urls import path

from rxportal.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.drug_trend_dashboard, name="drug_trend"),
    path("export.csv", views.drug_trend_csv, name="drug_trend_csv"),
    path("export.pdf", views.drug_trend_pdf, name="drug_trend_pdf"),
]
