from django.urls import path

from rxportal.prescriptions import views

app_name = "prescriptions"
urlpatterns = [
    path("", views.prescription_list, name="list"),
    path("refill/", views.refill_choose, name="refill_choose"),
    path("refill/review/", views.refill_review, name="refill_review"),
    path("refill/confirm/", views.refill_confirm, name="refill_confirm"),
    path("refills/<uuid:public_id>/", views.refill_detail, name="refill_detail"),
    path("<uuid:public_id>/auto-refill/", views.auto_refill, name="auto_refill"),
    path("<uuid:public_id>/renewal/", views.renewal, name="renewal"),
]
