"""The console's start page: what this agent may do."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rxportal.staff import access
from rxportal.staff.views.common import staff_page


@staff_page(access.can_use_console)
def home(request: HttpRequest) -> HttpResponse:
    actor = request.user
    return render(
        request,
        "staff/home.html",
        {
            "can_look_up_members": access.can_look_up_members(actor),
            "can_manage_accounts": access.can_change_identity(actor),
        },
    )
