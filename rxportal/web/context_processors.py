from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from rxportal.core.contact import default_support_contacts
from rxportal.members.selectors import get_support_contacts
from rxportal.notifications.selectors import count_unread


def portal(request: HttpRequest) -> dict[str, object]:
    """``support``: the viewer's phone numbers and hours (``rxportal.core.contact``), read only
    when a template uses them (one small query for a signed-in member); and for a signed-in
    person ``unread_notifications``, their inbox's unread count (cached)."""
    user = getattr(request, "user", None)
    support: object
    if user is None:  # a request that never passed the auth middleware
        support = default_support_contacts()
    else:
        support = SimpleLazyObject(lambda: get_support_contacts(viewer=user))
    context: dict[str, object] = {"support": support, "rxportal_env": settings.RXPORTAL_ENV}
    if user is not None and user.is_authenticated:
        # A callable: the header's unread count is read only when a template shows it.
        context["unread_notifications"] = lambda: count_unread(viewer=user)
    return context
