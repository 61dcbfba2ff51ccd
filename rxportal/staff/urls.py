from django.urls import path

from rxportal.clients.views import console as clients_console
from rxportal.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("members/lookup/", views.member_lookup, name="member_lookup"),
    path("members/<uuid:public_id>/", views.member_detail, name="member_detail"),
    path("users/search/", views.user_search, name="user_search"),
    path("users/<uuid:public_id>/", views.user_detail, name="user_detail"),
    # The account team's clients section (views in rxportal.clients).
    path("clients/", clients_console.queue, name="clients_queue"),
    path("clients/directory/", clients_console.directory, name="clients_directory"),
    path("clients/users/<uuid:public_id>/", clients_console.user_links, name="clients_user"),
    path(
        "clients/requests/<uuid:public_id>/",
        clients_console.request_decide,
        name="clients_request",
    ),
    path(
        "clients/grants/<uuid:public_id>/revoke/",
        clients_console.grant_revoke,
        name="clients_grant_revoke",
    ),
]
