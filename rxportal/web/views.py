"""Pages of the portal: thin edges over the selectors."""

from __future__ import annotations

import uuid

from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from rxportal.core import clock
from rxportal.members.access import get_visible_member_or_404, member_page
from rxportal.members.selectors import family_visibility_cache
from rxportal.records.reads import reader_for_page, record_phi_read
from rxportal.web.dashboard_cache import (
    CSRF_FIELD_PLACEHOLDER,
    CSRF_FIELD_TEMPLATE,
    get_dashboard_view,
)
from rxportal.web.id_card_pdf import render_id_card_pdf
from rxportal.web.selectors import (
    find_benefits_summary,
    id_card_for,
    list_id_cards,
)

ACTION_DASHBOARD_VIEWED = "phi.dashboard.viewed"
ACTION_BENEFITS_VIEWED = "phi.benefits.viewed"
ACTION_ID_CARD_VIEWED = "phi.id_card.viewed"
ACTION_ID_CARD_DOWNLOADED = "phi.id_card.downloaded"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


class SignOutView(auth_views.LogoutView):
    """Signing out is a CSRF-checked POST; it then lands on this same address, whose page says
    "You have signed out" with a link to sign in again.

    A GET never signs anyone out (another site could trigger it): a signed-in visitor gets the
    sign-out button instead. Sign-in is django-allauth's (rxportal.accounts); this path also
    shadows allauth's own logout page.
    """

    http_method_names = ["get", "post", "options"]

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        signed_in = request.user.is_authenticated
        auth_logout(request)
        # A sign-in left unfinished ("Cancel and start over" at a later step) starts over.
        return HttpResponseRedirect(reverse("web:logout" if signed_in else "account_login"))

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated:
            return render(request, "web/sign_out.html")
        return render(request, "web/signed_out.html")


@never_cache
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The landing page after sign-in, so not a ``member_page``: clients, advisors and staff
    get the "member tools are for plan members" page with a 200, not a 403. The main content
    comes from the viewer's cache entry while nothing it shows has changed
    (``web.dashboard_cache``); the PHI read is audited on every view, cached or not."""
    with family_visibility_cache():
        view = get_dashboard_view(viewer=request.user, today=clock.today())  # type: ignore[arg-type]
    if view is None:
        if request.user.has_perm("clients.use_client_portal"):
            return HttpResponseRedirect(reverse("clients:home"))
        return render(request, "web/not_a_member.html")
    page = view.page
    record_phi_read(
        reader_for_page(request),
        action=ACTION_DASHBOARD_VIEWED,
        subject_type=page.subject_type,
        subject_id=page.subject_id,
        details=page.audit_details,
    )
    # The cached content has a placeholder where each form's token goes: this request's token.
    content = page.content.replace(
        CSRF_FIELD_PLACEHOLDER, CSRF_FIELD_TEMPLATE.format(get_token(request))
    )
    # The frame's support numbers and unread count came with the entry: the context
    # processor's lazy reads of them never run.
    context = {
        "dashboard_content": mark_safe(content),  # noqa: S308
        "support": page.support,
        "unread_notifications": view.unread_notifications,
    }
    return render(request, "web/dashboard.html", context)


@member_page
def benefits(request: HttpRequest) -> HttpResponse:
    summary = find_benefits_summary(viewer=request.user, today=clock.today())
    assert summary is not None  # member_page let a member in
    record_phi_read(
        reader_for_page(request),
        action=ACTION_BENEFITS_VIEWED,
        subject=summary.member,
        details={"plan_year": summary.plan.plan_year},
    )
    return render(request, "web/benefits.html", {"summary": summary})


@member_page
def id_card(request: HttpRequest) -> HttpResponse:
    cards = list_id_cards(viewer=request.user, today=clock.today())
    record_phi_read(
        reader_for_page(request),
        action=ACTION_ID_CARD_VIEWED,
        subject=request.member,  # type: ignore[attr-defined]
        details={"cards": len(cards)},
    )
    return render(request, "web/id_card.html", {"cards": cards})


@member_page
def id_card_pdf(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    member = get_visible_member_or_404(request=request, public_id=public_id)
    pdf = render_id_card_pdf(id_card_for(member))
    record_phi_read(
        reader_for_page(request),
        action=ACTION_ID_CARD_DOWNLOADED,
        subject=member,
        details={"format": "pdf", "own_card": member.user_id == request.user.pk},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="rxportal-id-card-{member.person_code}.pdf"'
    )
    return response
