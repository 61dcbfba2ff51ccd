from django.urls import path

from rxportal.claims import views

app_name = "claims"
urlpatterns = [
    path("", views.claim_list, name="list"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("<uuid:public_id>/", views.claim_detail, name="detail"),
]
