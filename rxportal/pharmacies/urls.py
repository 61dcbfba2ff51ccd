from django.urls import path

from rxportal.pharmacies import views

app_name = "pharmacies"
urlpatterns = [
    path("", views.finder, name="finder"),
]
