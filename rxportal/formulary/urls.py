from django.urls import path

from rxportal.formulary import views

app_name = "formulary"
urlpatterns = [
    path("", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("<uuid:public_id>/", views.drug, name="drug"),
]
