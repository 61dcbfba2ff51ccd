"""Member pages of the members app: thin edges over its selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rxportal.core import clock
from rxportal.members.access import member_page
from rxportal.members.errors import FamilyAccessError
from rxportal.members.selectors import get_family_access_overview
from rxportal.members.services import grant_family_access, revoke_family_access
from rxportal.records.reads import reader_for_page, record_phi_read

ACTION_FAMILY_ACCESS_VIEWED = "phi.family_access.viewed"


@member_page
def family_access(request: HttpRequest) -> HttpResponse:
    """Who can see whose records in the family, and (for an adult dependent) the switch."""
    overview = get_family_access_overview(viewer=request.user, today=clock.today())
    assert overview is not None  # member_page let a member in
    record_phi_read(
        reader_for_page(request),
        action=ACTION_FAMILY_ACCESS_VIEWED,
        subject=overview.viewer,
        details={
            "dependents": len(overview.dependents),
            "active_grant": bool(overview.active_grant),
        },
    )
    return render(request, "members/family_access.html", {"overview": overview})


@member_page
@require_http_methods(["GET", "POST"])
def family_access_grant(request: HttpRequest) -> HttpResponse:
    """GET: what giving access means, with a confirm button. POST: give it."""
    return _confirm_or_change(request, granting=True)


@member_page
@require_http_methods(["GET", "POST"])
def family_access_revoke(request: HttpRequest) -> HttpResponse:
    """GET: what removing access means, with a confirm button. POST: remove it."""
    return _confirm_or_change(request, granting=False)


def _confirm_or_change(request: HttpRequest, *, granting: bool) -> HttpResponse:
    overview = get_family_access_overview(viewer=request.user, today=clock.today())
    assert overview is not None
    allowed = overview.can_grant if granting else overview.can_revoke
    if request.method == "GET":
        if not allowed:
            return redirect("members:family_access")
        return render(
            request,
            "members/family_access_confirm.html",
            {"overview": overview, "granting": granting},
        )
    if overview.subscriber is None:  # a subscriber has nobody to grant access to
        messages.error(request, _("Only family members on a subscriber's card give access."))
        return redirect("members:family_access")
    change = grant_family_access if granting else revoke_family_access
    try:
        change(
            grantor=overview.viewer,
            grantee=overview.subscriber,
            actor=request.user,
            now=clock.now(),
            request=request,
        )
    except FamilyAccessError as error:
        messages.error(request, error.message)
    else:
        if granting:
            message = _("Done: %(name)s can now see your prescriptions, claims and orders.")
        else:
            message = _("Done: %(name)s can no longer see your prescriptions, claims and orders.")
        messages.success(request, message % {"name": overview.subscriber.first_name})
    return redirect("members:family_access")
