from django.urls import path
from django.views.generic import RedirectView

from rxportal.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    # Sign-in lives in rxportal.accounts (django-allauth) at /accounts/login/; this old name
    # only redirects there, keeping ?next=.
    path(
        "sign-in/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="login",
    ),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("benefits/", views.benefits, name="benefits"),
    path("id-card/", views.id_card, name="id_card"),
    path("id-card/<uuid:public_id>.pdf", views.id_card_pdf, name="id_card_pdf"),
]
