"""Pure rules for connected apps: which redirect URIs an app may use, and when an OpenID Connect
request (``prompt``, ``max_age``) needs the member to sign in again."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

# The demo mobile app's own scheme (a native app's private-use URI scheme, RFC 8252 §7.1).
MOBILE_APP_SCHEME = "rxportal-mobile"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})


def app_name_key(name: str) -> str:
    """What two app names must not share: Unicode NFKC, case-folded, invisible format
    characters dropped (zero-width space and joiners, soft hyphen, direction marks: category
    Cf), whitespace collapsed, so "My  App", "my app", "ｍｙ app" (full-width) and "My\u200b
    App" are one name to a member on the consent screen."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    visible = "".join(char for char in folded if unicodedata.category(char) != "Cf")
    return " ".join(visible.split())


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
        # A CSP host source cannot name an IPv6 address (Chromium drops "http://[::1]:8080" as
        # invalid), and "http:" would admit every plain-http host: no source. The answer to such
        # an app is a page that links on (``answers_with_a_page``), not a redirect.
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def answers_with_a_page(redirect_uri: str) -> bool:
    """Whether the answer to the consent form goes back to the app through a page (a link and a
    meta refresh, which ``form-action`` does not govern) instead of a redirect: for an IPv6
    loopback URI, which no ``form-action`` source can name."""
    try:
        return urlsplit(redirect_uri).hostname == "::1"
    except ValueError:
        return False


# --- OpenID Connect: prompt=login and max_age (OpenID Connect Core 1.0 §3.1.2.1) ---------------

PROMPT_LOGIN = "login"
PROMPT_NONE = "none"


def requested_prompts(prompt: str) -> frozenset[str]:
    """``prompt`` is a space-separated, case-sensitive list."""
    return frozenset(prompt.split())


def needs_fresh_sign_in(
    *,
    prompts: frozenset[str],
    max_age: str | None,
    signed_in_at: dt.datetime | None,
    now: dt.datetime,
) -> bool:
    """Whether a signed-in member must go through the full sign-in again before consent:
    ``prompt=login``, or a sign-in older than ``max_age`` seconds (or of unknown age). A
    ``max_age`` that is not a whole number of seconds fails closed."""
    if PROMPT_LOGIN in prompts:
        return True
    if max_age is None:
        return False
    try:
        seconds = int(max_age)
    except ValueError:
        return True
    if seconds < 0 or signed_in_at is None:
        return True
    return (now - signed_in_at).total_seconds() > seconds


def without_sign_in_demands(query: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The authorization request to come back to after signing in again: ``login`` dropped from
    ``prompt`` and ``max_age`` dropped, so the fresh sign-in satisfies it (``max_age=0`` would
    otherwise ask again forever). The ID token's ``auth_time`` lets the app check the age."""
    kept: list[tuple[str, str]] = []
    for name, value in query:
        if name == "max_age":
            continue
        if name == "prompt":
            value = " ".join(p for p in value.split() if p != PROMPT_LOGIN)
            if not value:
                continue
        kept.append((name, value))
    return kept
