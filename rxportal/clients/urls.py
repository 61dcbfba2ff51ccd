from django.urls import path

from rxportal.clients.views import portal

app_name = "clients"
urlpatterns = [
    path("", portal.home, name="home"),
    path("requests/new/", portal.request_new, name="request_new"),
    path("links/new/", portal.link_request_new, name="link_request_new"),
    path("requests/<uuid:public_id>/", portal.request_detail, name="request_detail"),
    path("<uuid:client_public_id>/tools/<slug:tool>/", portal.tool, name="tool"),
]
