"""The portal's URLconf plus a view that fails, to see the 500 page as a visitor would."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from rxportal.urls import handler400, handler404, handler429, handler500, urlpatterns

__all__ = ["handler400", "handler404", "handler429", "handler500", "urlpatterns"]


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("broken-for-tests/", broken), *urlpatterns]
