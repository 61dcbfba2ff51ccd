"""One-click unsubscribe (RFC 8058) from an optional kind of email, without signing in.

The link in the ``List-Unsubscribe`` header is a signed token (person's public id, kind,
channel). A mail client POSTs ``List-Unsubscribe=One-Click`` to it: that POST alone is exempt
from the CSRF check (a mail client holds no cookie; the signature is the proof). A person who
follows the link gets a page with a button, an ordinary CSRF-checked form.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from rxportal.notifications import services
from rxportal.notifications.errors import InvalidUnsubscribeLink

ONE_CLICK = ("List-Unsubscribe", "One-Click")


def _csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    def _no_view(_request: HttpRequest) -> HttpResponse:  # never called: only the check runs
        return HttpResponse()

    return CsrfViewMiddleware(_no_view).process_view(request, _no_view, (), {})


@never_cache
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = services.read_unsubscribe_token(token)
    except InvalidUnsubscribeLink:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    context = {"kind": found.kind, "done": False}
    if request.method == "POST":
        one_click = request.POST.get(ONE_CLICK[0]) == ONE_CLICK[1]
        if not one_click:
            refusal = _csrf_refusal(request)
            if refusal is not None:
                return refusal
        services.unsubscribe(token=token, request=request)
        context["done"] = True
    elif request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    return render(request, "notifications/unsubscribe.html", context)
