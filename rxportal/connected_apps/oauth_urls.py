"""The OAuth 2.0 / OpenID Connect endpoints under /oauth/, in django-oauth-toolkit's namespace
(``oauth2_provider``, which its views reverse). Only what connected apps use: no application
management pages, device flow, dynamic registration or RP-initiated logout, and no token
introspection (the resource servers are in-process; DOT's introspection would answer public
clients and name the user)."""

from django.urls import path, re_path
from oauth2_provider import views as dot_views

from rxportal.connected_apps.views import ConsentView, OpenIDDiscoveryView, sign_in_again

urlpatterns = [
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("authorize/sign-in-again/", sign_in_again, name="sign-in-again"),
    path("token/", dot_views.TokenView.as_view(), name="token"),
    path("revoke_token/", dot_views.RevokeTokenView.as_view(), name="revoke-token"),
    re_path(
        r"^\.well-known/openid-configuration$",
        OpenIDDiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", dot_views.JwksInfoView.as_view(), name="jwks-info"),
    path("userinfo/", dot_views.UserInfoView.as_view(), name="user-info"),
]
