"""The staff console's failed deliveries: the list (audited) and the resend button."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rxportal.accounts import permissions as perms
from rxportal.accounts.permissions import has_permission
from rxportal.accounts.selectors import mask_email
from rxportal.audit.services import Outcome, record_event
from rxportal.core.errors import NotFound
from rxportal.notifications import selectors, services
from rxportal.notifications.errors import NotificationNotResendable
from rxportal.staff.views.common import Actor, staff_page

ACTION_FAILED_VIEWED = "notification.failed.viewed"


def can_resend(actor: Actor) -> bool:
    return has_permission(actor, perms.RESEND_NOTIFICATIONS)


@staff_page(can_resend)
def failed_list(request: HttpRequest) -> HttpResponse:
    failed = list(selectors.list_failed_notifications(viewer=request.user))
    record_event(
        action=ACTION_FAILED_VIEWED,
        outcome=Outcome.SUCCESS,
        actor=request.user,
        request=request,
        details={"count": len(failed)},
    )
    rows = [(item, mask_email(item.to_address) if item.to_address else "") for item in failed]
    return render(request, "notifications/failed_list.html", {"rows": rows})


@staff_page(can_resend)
@require_POST
def resend(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    try:
        services.resend_notification(public_id=public_id, actor=request.user, request=request)
    except NotFound as error:
        raise Http404 from error
    except NotificationNotResendable:
        messages.error(
            request,
            _("This delivery cannot be sent again. Ask the person to request a new code."),
        )
    else:
        messages.success(request, _("The message is queued to be sent again."))
    return HttpResponseRedirect(reverse("staff:notifications_failed"))
