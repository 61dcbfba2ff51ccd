"""Sign-in pages of ours. Included before allauth's URLs, so ``accounts/login/`` (allauth's
``account_login``) is our username step, and ``reverse("account_login")`` still points there."""

from django.urls import path

from rxportal.accounts import views

urlpatterns = [
    path("accounts/login/", views.IdentifyView.as_view(), name="rx_identify"),
    path("accounts/login/password/", views.PasswordStepView.as_view(), name="rx_login_password"),
    path("accounts/login/new-device/", views.NewDeviceView.as_view(), name="rx_login_new_device"),
]
