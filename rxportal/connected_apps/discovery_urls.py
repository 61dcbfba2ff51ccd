"""OpenID Connect discovery at the site root too (the issuer is /oauth, whose own
/oauth/.well-known/openid-configuration is in ``oauth_urls``): some clients look here."""

from django.urls import path
from oauth2_provider import views as dot_views

app_name = "oidc_discovery"

urlpatterns = [
    path(
        ".well-known/openid-configuration",
        dot_views.ConnectDiscoveryInfoView.as_view(),
        name="root",
    ),
]
