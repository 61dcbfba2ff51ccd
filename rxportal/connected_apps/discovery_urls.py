"""OpenID Connect discovery at the site root too (the issuer is /oauth, whose own
/oauth/.well-known/openid-configuration is in ``oauth_urls``): some clients look here."""

from django.urls import path

from rxportal.connected_apps.views import OpenIDDiscoveryView

app_name = "oidc_discovery"

urlpatterns = [
    path(
        ".well-known/openid-configuration",
        OpenIDDiscoveryView.as_view(),
        name="root",
    ),
]
