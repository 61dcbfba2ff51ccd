"""The console's start page: what this agent may do."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rxportal.accounts.services import staff as account_staff
from rxportal.staff.views.common import staff_page


@staff_page(account_staff.can_use_console)
def home(request: HttpRequest) -> HttpResponse:
    actor = request.user
    return render(
        request,
        "staff/home.html",
        {
            "can_look_up_members": account_staff.can_look_up_members(actor),
            "can_manage_accounts": account_staff.can_change_identity(actor),
        },
    )
