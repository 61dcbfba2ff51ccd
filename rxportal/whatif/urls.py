"""The plan-design what-if, under /clients/<client>/tools/drug-trend/what-if/."""

from django.urls import path

from rxportal.whatif import views

app_name = "whatif"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("new/", views.run_new, name="new"),
    path("compare/", views.run_compare, name="compare"),
    path("<uuid:run_public_id>/", views.run_detail, name="run"),
]
