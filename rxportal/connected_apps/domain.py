"""Pure rules for connected apps: which redirect URIs an app may use."""

from __future__ import annotations

from urllib.parse import urlsplit

# The demo mobile app's own scheme (a native app's private-use URI scheme, RFC 8252 §7.1).
MOBILE_APP_SCHEME = "rxportal-mobile"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})


def is_acceptable_redirect_uri(uri: str) -> bool:
    """https anywhere; the mobile app's scheme; plain http only to a loopback IP (RFC 8252 §7.3:
    a native app listening on 127.0.0.1 or [::1], any port). Never a fragment."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.fragment:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme == MOBILE_APP_SCHEME:
        return True
    if parts.scheme == "http":
        return parts.hostname in LOOPBACK_HOSTS
    return False


def form_action_source(redirect_uri: str) -> str:
    """The Content-Security-Policy source that lets the consent form's POST be redirected on to
    the app (browsers apply ``form-action`` to the redirect too): the redirect URI's origin, or
    the mobile app's scheme. Empty for anything ``is_acceptable_redirect_uri`` refuses."""
    if not is_acceptable_redirect_uri(redirect_uri):
        return ""
    parts = urlsplit(redirect_uri)
    if parts.scheme == MOBILE_APP_SCHEME:
        return f"{MOBILE_APP_SCHEME}:"
    if parts.hostname == "::1":
        # CSP host sources cannot name an IPv6 address (browsers drop "http://[::1]:8080" and
        # block the redirect): the scheme source admits it. Only this page's policy widens,
        # and the form itself still posts to the site.
        return "http:"
    return f"{parts.scheme}://{parts.netloc}"
