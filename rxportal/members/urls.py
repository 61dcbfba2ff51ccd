from django.urls import path

from rxportal.members import views

app_name = "members"
urlpatterns = [
    path("", views.family_access, name="family_access"),
    path("grant/", views.family_access_grant, name="family_access_grant"),
    path("revoke/", views.family_access_revoke, name="family_access_revoke"),
]
