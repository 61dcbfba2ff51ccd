"""A person's in-app inbox: the list (newest first, paginated), one message, mark all read."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from rxportal.core.errors import NotFound
from rxportal.notifications import selectors, services


@never_cache
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.list_inbox(viewer=request.user), selectors.INBOX_PAGE_SIZE)
    return render(
        request,
        "notifications/inbox.html",
        {"page": page.get_page(request.GET.get("page")), "unread": _unread(request)},
    )


def _unread(request: HttpRequest) -> int:
    return selectors.count_unread(viewer=request.user)


@never_cache
@login_required
def message(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    try:
        found = services.open_inbox_message(
            viewer=request.user, public_id=public_id, request=request
        )
    except NotFound as error:
        raise Http404 from error
    link = found.link_path
    # A path on this site only (a stored path, but never a way off the portal).
    if not link.startswith("/") or not url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        link = ""
    return render(request, "notifications/message.html", {"message": found, "link": link})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(viewer=request.user)
    messages.success(request, _("All messages are marked as read."))
    return HttpResponseRedirect(reverse("notifications:inbox"))
