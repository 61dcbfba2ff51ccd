"""The member dashboard, cached per viewer: its reads and its rendered main content.

An entry's key is the viewer's public id and the language; the entry keeps the everyone
number, the viewer's family-access number (``core.record_versions``), the version numbers of
each member the viewer may see and of the family's subscriber it was built under, and today,
and any other numbers are a miss. Any write that changes what the dashboard shows
bumps one of them, so the next view reads afresh; a revoked family grant bumps the
family-access number and hides the member at once. Which members the viewer may see is itself
cached under the everyone and family-access numbers and today (ids only). Entries hold PHI: they are sealed (``core.sealed_cache``) and live
``RXPORTAL_DASHBOARD_CACHE_SECONDS`` (5 minutes by default).

The main content is cached per language with a placeholder where each form's CSRF token goes;
the view puts the request's token in. The frame around it (navigation, the sign-out form) is
rendered on every request, but reads nothing on a hit: the entry carries the viewer's support
numbers (their sponsor's member-services line: a sponsor's change bumps the everyone number, a
member moved to another sponsor bumps their own), and the header's unread count comes from its
own cache key (``notifications``, forgotten when a message arrives or is read), read in the same
round trip as the version numbers. The PHI-read audit is not cached: the entry carries what the
view records, and the view records it on every view, hit or miss.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.translation import get_language

from rxportal.core.contact import SupportContacts
from rxportal.core.record_versions import read_record_versions
from rxportal.core.sealed_cache import get_sealed, put_sealed, unseal
from rxportal.members.selectors import get_support_contacts, list_family_members_visible_to
from rxportal.notifications.selectors import count_unread, unread_count_cache_key
from rxportal.web.selectors import MemberDashboard, find_member_dashboard

# Letters only: the csrf_token tag escapes what it is given.
CSRF_PLACEHOLDER = "rxportalcsrftokenplaceholder"
# The whole hidden field as {% csrf_token %} writes it: only this is swapped for the request's
# token, never the placeholder's letters inside text (a tracking number, a name) that happen
# to spell it. Escaped text cannot contain the field's quotes and angle brackets.
CSRF_FIELD_TEMPLATE = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
CSRF_FIELD_PLACEHOLDER = CSRF_FIELD_TEMPLATE.format(CSRF_PLACEHOLDER)
CONTENT_TEMPLATE = "web/_dashboard_content.html"
# In the content entry's key: a page cached by an older release (another ``DashboardPage``
# shape) is never read, so a deploy needs no cache flush.
PAGE_FORMAT = 3


@dataclass(frozen=True)
class DashboardPage:
    """The dashboard's main content (``CSRF_PLACEHOLDER`` where the token goes), the support
    numbers the frame shows the viewer, and the facts of its PHI-read audit event (ids and
    counts only)."""

    content: str
    support: SupportContacts
    subject_type: str
    subject_id: str
    audit_details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DashboardView:
    """What the view renders: the (cached) page and the header's unread count."""

    page: DashboardPage
    unread_notifications: int


def get_dashboard_view(*, viewer: AbstractBaseUser, today: dt.date) -> DashboardView | None:
    """The viewer's dashboard content, from the cache when nothing it shows has changed; None
    when the viewer is not a plan member. One cache round trip on a hit: the worker remembers
    whom the viewer could see (ids only), so the everyone and family-access numbers, whom the
    viewer may see, those members' numbers, the unread count and the entry are read in one
    MGET; when the visible set read in it is not the remembered one (a family change, another
    worker's first view), a second trip reads the right members' numbers and entry. No SQL on a
    hit."""
    visible_key = _visible_key(viewer)
    content_key = _content_key(viewer)
    remembered = _remembered_visible.get(viewer.public_id.hex)  # type: ignore[attr-defined]
    versions, found = read_record_versions(
        user_id=viewer.pk,
        member_ids=_shown(*remembered) if remembered else [],
        also=[visible_key, unread_count_cache_key(viewer), content_key],
    )
    stamp = (versions[0], versions[1], today.isoformat())
    visible = found.get(visible_key)
    page = None
    if remembered and _visible_under(visible, stamp) == remembered:
        page = _cached_page(found.get(content_key), _shown(*remembered), versions, today)
    if page is None:
        page = _get_page(viewer=viewer, today=today, stamp=stamp, visible=visible)
    if page is None:
        return None
    # The count was read with the numbers: its own round trip only when it was not cached.
    return DashboardView(
        page=page, unread_notifications=count_unread(viewer=viewer, prefetched=found)
    )


# Whom each recent viewer could see, by public id: row ids only, a guess of which numbers to
# read that the visible entry (read in the same MGET) confirms or overrules. Bounded.
_REMEMBERED_VIEWERS = 4096
_remembered_visible: OrderedDict[str, tuple[tuple[int, ...], int]] = OrderedDict()
_remembered_lock = threading.Lock()


def _remember_visible(viewer: AbstractBaseUser, member_ids: list[int], family_id: int) -> None:
    with _remembered_lock:
        _remembered_visible[viewer.public_id.hex] = (tuple(member_ids), family_id)  # type: ignore[attr-defined]
        _remembered_visible.move_to_end(viewer.public_id.hex)  # type: ignore[attr-defined]
        while len(_remembered_visible) > _REMEMBERED_VIEWERS:
            _remembered_visible.popitem(last=False)


def _visible_under(
    visible: object, stamp: tuple[int, int, str]
) -> tuple[tuple[int, ...], int] | None:
    """Whom the cached visible entry says the viewer may see, if built under these numbers."""
    if isinstance(visible, tuple) and len(visible) == 3 and visible[0] == stamp:
        return (tuple(visible[1]), visible[2])
    return None


def _shown(member_ids: tuple[int, ...] | list[int], family_id: int) -> list[int]:
    """The members whose numbers an entry is built under: those visible and the subscriber."""
    return sorted({*member_ids, family_id})


def _cached_page(
    entry: object, shown: list[int], versions: tuple[int, ...], today: dt.date
) -> DashboardPage | None:
    """The entry's page if it was built under exactly these members' numbers, else None."""
    cached = unseal(entry, seconds=settings.RXPORTAL_DASHBOARD_CACHE_SECONDS)
    if isinstance(cached, tuple) and cached[0] == (shown, versions, today.isoformat()):
        return cast(DashboardPage, cached[1])
    return None


def _visible_key(viewer: AbstractBaseUser) -> str:
    """Where whom the viewer may see is cached (ids only)."""
    return f"dashboard:visible:{viewer.public_id.hex}"  # type: ignore[attr-defined]


def _content_key(viewer: AbstractBaseUser) -> str:
    """Where the viewer's page is cached in the active language; which numbers it was built
    under is inside the entry, so the key is known before any number is read."""
    viewer_id = viewer.public_id.hex  # type: ignore[attr-defined]
    return f"dashboard:content:{PAGE_FORMAT}:{viewer_id}:{get_language()}"


def _get_page(
    *, viewer: AbstractBaseUser, today: dt.date, stamp: tuple[int, int, str], visible: object
) -> DashboardPage | None:
    """The page from its entry (the second round trip), else built (from the reads' entry,
    else the database)."""
    seconds = settings.RXPORTAL_DASHBOARD_CACHE_SECONDS
    viewer_id = viewer.public_id.hex  # type: ignore[attr-defined]
    known = _visible_under(visible, stamp)
    if known is not None:
        member_ids, family_id = list(known[0]), known[1]
    else:
        members = list_family_members_visible_to(viewer=viewer, today=today)
        if not members:
            return None
        member_ids = [member.pk for member in members]
        family_id = members[0].subscriber_id or members[0].pk
        cache.set(_visible_key(viewer), (stamp, member_ids, family_id), timeout=seconds)
    _remember_visible(viewer, member_ids, family_id)
    shown = _shown(member_ids, family_id)
    content_key = _content_key(viewer)
    versions, found = read_record_versions(user_id=viewer.pk, member_ids=shown, also=[content_key])
    built_under = (shown, versions, today.isoformat())
    page = _cached_page(found.get(content_key), shown, versions, today)
    if page is not None:
        return page
    digest = hashlib.sha256(repr((viewer_id, stamp)).encode()).hexdigest()[:32]
    reads_key = f"dashboard:reads:{viewer_id}:{digest}"
    reads = get_sealed(reads_key, seconds=seconds)
    if isinstance(reads, tuple) and reads[0] == built_under:
        dashboard = cast(MemberDashboard, reads[1])
    else:
        found_dashboard = find_member_dashboard(viewer=viewer, today=today)
        if found_dashboard is None:
            return None
        dashboard = found_dashboard
        put_sealed(reads_key, (built_under, dashboard), seconds=seconds)
    page = _page_from(dashboard, viewer=viewer)
    put_sealed(content_key, (built_under, page), seconds=seconds)
    return page


def _page_from(dashboard: MemberDashboard, *, viewer: AbstractBaseUser) -> DashboardPage:
    # No request here, so none of its context processors: the content's one use of them, the
    # viewer's member-services number (what to do about a late order), is passed in; the entry
    # keeps it for the frame, which would otherwise read the member row on every view.
    support = get_support_contacts(viewer=viewer)
    content = render_to_string(
        CONTENT_TEMPLATE,
        {"dashboard": dashboard, "csrf_token": CSRF_PLACEHOLDER, "support": support},
    )
    return DashboardPage(
        content=content,
        support=support,
        subject_type=dashboard.member._meta.label_lower,
        subject_id=str(dashboard.member.public_id),
        audit_details={
            "refills_due": len(dashboard.refills_due),
            "orders_in_progress": len(dashboard.orders_in_progress),
            "alerts": len(dashboard.alerts),
            "recent_claims": len(dashboard.recent_claims),
            "family_claims": dashboard.shows_family_claims,
        },
    )
