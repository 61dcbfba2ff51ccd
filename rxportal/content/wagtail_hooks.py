"""Wagtail hooks: the hub is for its audience only, pages and documents alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from wagtail import hooks
from wagtail.documents.models import AbstractDocument
from wagtail.models import Page

from rxportal.content import selectors


@hooks.register("before_serve_page")
def check_hub_reader(
    page: Page, request: HttpRequest, args: Any, kwargs: Any
) -> HttpResponse | None:
    """Every page under /hub/: signed in, a client, an advisor or a content editor, and (for an
    item) of the page's audience. Anyone else gets a 404 that does not reveal the page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = selectors.find_hub_viewer(request.user)
    if viewer is None or not selectors.can_view_page(viewer=viewer, page=page):
        raise Http404
    request.hub_viewer = viewer  # type: ignore[attr-defined]
    return None


@hooks.register("on_serve_page")
def never_cache_hub_pages(
    serve: Callable[[Page, HttpRequest, Any, Any], HttpResponse],
) -> Callable[[Page, HttpRequest, Any, Any], HttpResponse]:
    """Pages differ by viewer (audience, registration, what is new): no shared caches."""

    def wrapped(page: Page, request: HttpRequest, args: Any, kwargs: Any) -> HttpResponse:
        response = serve(page, request, args, kwargs)
        add_never_cache_headers(response)
        return response

    return wrapped


@hooks.register("before_serve_document")
def check_document_reader(document: AbstractDocument, request: HttpRequest) -> HttpResponse | None:
    """A document goes only to someone who may read a live page that attaches it."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = selectors.find_hub_viewer(request.user)
    if viewer is None or not selectors.can_download_document(viewer=viewer, document=document):
        raise Http404
    return None
