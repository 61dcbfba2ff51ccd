"""My Account > Connected apps (mounted at my-account/connected-apps/)."""

from django.urls import path

from rxportal.connected_apps import views

app_name = "connected_apps"

urlpatterns = [
    path("", views.connected_apps, name="list"),
    path("<uuid:consent_public_id>/disconnect/", views.disconnect, name="disconnect"),
]
