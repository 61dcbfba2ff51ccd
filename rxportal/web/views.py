"""Pages of the portal: thin edges over the selectors."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from rxportal.core import clock
from rxportal.web.selectors import find_member_dashboard


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


class SignOutView(auth_views.LogoutView):
    """POST only (Django refuses GET), then back to the home page.

    Sign-in is django-allauth's (rxportal.accounts); this path also shadows allauth's own
    logout page, so signing out never happens on a GET.
    """


@never_cache
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    member_dashboard = find_member_dashboard(viewer=request.user, today=clock.today())
    if member_dashboard is None:
        return render(request, "web/not_a_member.html")
    return render(request, "web/dashboard.html", {"dashboard": member_dashboard})
