"""What several accounts pages share: never-stored redirects, the ``?next=`` carried between
sign-in steps, the device cookie, and the rate-limit page (``handler429``)."""

from __future__ import annotations

from typing import TypeVar

from allauth.account.utils import get_next_redirect_url
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.http import urlencode

NO_STORE = "no-cache, no-store, must-revalidate, private"
ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


def no_store(response: ResponseT) -> ResponseT:
    response["Cache-Control"] = NO_STORE
    return response


def cookie_secure(name: str) -> bool:
    return bool(settings.SESSION_COOKIE_SECURE or name.startswith("__Host-"))


def url_with_next(request: HttpRequest, url: str, **params: str) -> str:
    """``url`` with ``params`` and the request's safe ``?next=`` (if any) as the query."""
    next_url = get_next_redirect_url(request, REDIRECT_FIELD_NAME)
    if next_url:
        params[REDIRECT_FIELD_NAME] = next_url
    return f"{url}?{urlencode(params)}" if params else url


def set_device_cookie(response: HttpResponseBase, cookie_value: str) -> None:
    """The remembered-browser cookie, after a passed new-device check."""
    name = settings.RXPORTAL_DEVICE_COOKIE_NAME
    response.set_cookie(
        name,
        cookie_value,
        max_age=settings.RXPORTAL_DEVICE_COOKIE_AGE,
        secure=cookie_secure(name),
        httponly=True,
        samesite="Lax",
    )


def rate_limited(request: HttpRequest) -> HttpResponse:
    """allauth's rate-limit answer (``handler429`` in rxportal.urls), in the portal's layout."""
    return render(request, "accounts/rate_limited.html", status=429)
