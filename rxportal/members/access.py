"""The one gate every member page goes through: signed in, linked to a plan member, never cached.

Views decorated with ``member_page`` receive the viewer's own ``Member`` as ``request.member``;
non-members (clients, advisors, staff) get the "member tools are for plan members" page.
``get_visible_member_or_404`` turns a public id from a URL into a member the viewer may see, and
answers 404, never 403, for anyone else, so an id in a URL reveals nothing.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from rxportal.core import clock
from rxportal.members.models import Member
from rxportal.members.selectors import (
    family_visibility_cache,
    find_member_for_user,
    list_family_members_visible_to,
    list_family_members_visible_to_member,
)

View = Callable[..., HttpResponseBase]


def member_page(view: View) -> View:
    """Reads (GET, HEAD) run inside ``family_visibility_cache``: the viewer's member record and
    visible family are read once per request (one query, before the view) however many
    selectors ask. Writes (POST) are
    not wrapped, so a grant or revoke is never hidden from the read that follows it."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return _serve(view, request, *args, **kwargs)
        with family_visibility_cache():
            # The viewer's record and visible family in one query (most member pages show
            # both); ``_serve``'s look-up of the record then answers from the cache.
            list_family_members_visible_to(viewer=request.user, today=clock.today())
            return _serve(view, request, *args, **kwargs)

    return never_cache(login_required(wrapped))


def _serve(view: View, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    member = find_member_for_user(user=request.user)
    if member is None:
        return render(request, "web/not_a_member.html", status=403)
    request.member = member  # type: ignore[attr-defined]
    return view(request, *args, **kwargs)


def get_visible_member_or_404(*, request: HttpRequest, public_id: str | uuid.UUID | None) -> Member:
    """The family member with this public id if the viewer may see them; the viewer when None.

    Anyone else (another family, an adult dependent who has not consented, a malformed id) is a
    404, so an id in a URL reveals nothing. On a ``member_page`` the viewer's member record is
    already on the request, which saves one query.
    """
    viewer_member = getattr(request, "member", None)
    if isinstance(viewer_member, Member) and viewer_member.user_id == request.user.pk:
        visible = list_family_members_visible_to_member(member=viewer_member, today=clock.today())
    else:
        visible = list_family_members_visible_to(viewer=request.user, today=clock.today())
    if not visible:
        raise Http404
    if public_id is None or public_id == "":
        return visible[0]
    wanted = str(public_id).lower()
    for member in visible:
        if str(member.public_id) == wanted:
            return member
    raise Http404
