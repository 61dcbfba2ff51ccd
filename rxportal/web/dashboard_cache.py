"""The member dashboard, cached per viewer: its reads and its rendered main content.

An entry's key is the viewer's public id, the language and a digest of the everyone number
and the viewer's family-access number (``core.record_versions``) and today; the entry keeps
the version numbers of each member the viewer may see and of the family's subscriber it was
built under, and any other numbers are a miss. Any write that changes what the dashboard shows
bumps one of them, so the next view reads afresh; a revoked family grant bumps the
family-access number and hides the member at once. Which members the viewer may see is itself
cached under the everyone and family-access numbers and today (ids only). Entries hold PHI: they are sealed (``core.sealed_cache``) and live
``RXPORTAL_DASHBOARD_CACHE_SECONDS`` (5 minutes by default).

The main content is cached per language with a placeholder where each form's CSRF token goes;
the view puts the request's token in. The frame around it (navigation, the sign-out form) is
rendered on every request. The PHI-read audit is not cached: the entry carries what the view
records, and the view records it on every view, hit or miss.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from rxportal.core.record_versions import read_record_versions
from rxportal.core.sealed_cache import get_sealed, put_sealed, unseal
from rxportal.members.selectors import get_support_contacts, list_family_members_visible_to
from rxportal.web.selectors import MemberDashboard, find_member_dashboard

# Letters only: the csrf_token tag escapes what it is given.
CSRF_PLACEHOLDER = "rxportalcsrftokenplaceholder"
# The whole hidden field as {% csrf_token %} writes it: only this is swapped for the request's
# token, never the placeholder's letters inside text (a tracking number, a name) that happen
# to spell it. Escaped text cannot contain the field's quotes and angle brackets.
CSRF_FIELD_TEMPLATE = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
CSRF_FIELD_PLACEHOLDER = CSRF_FIELD_TEMPLATE.format(CSRF_PLACEHOLDER)
CONTENT_TEMPLATE = "web/_dashboard_content.html"


@dataclass(frozen=True)
class DashboardPage:
    """The dashboard's main content (``CSRF_PLACEHOLDER`` where the token goes) and the facts of
    its PHI-read audit event (ids and counts only)."""

    content: str
    subject_type: str
    subject_id: str
    audit_details: dict[str, Any] = field(default_factory=dict)


def get_dashboard_page(*, viewer: AbstractBaseUser, today: dt.date) -> DashboardPage | None:
    """The viewer's dashboard content, from the cache when nothing it shows has changed; None
    when the viewer is not a plan member. Two cache round trips on a hit: the everyone and
    family-access numbers with whom the viewer may see, then those members' numbers with the
    entry (which keeps the numbers it was built under: any other is a miss)."""
    seconds = settings.RXPORTAL_DASHBOARD_CACHE_SECONDS
    viewer_id = viewer.public_id.hex  # type: ignore[attr-defined]
    visible_key = f"dashboard:visible:{viewer_id}"
    (everyone, access), found = read_record_versions(
        user_id=viewer.pk, member_ids=[], also=[visible_key]
    )
    stamp = (everyone, access, today.isoformat())
    stored = found.get(visible_key)
    if isinstance(stored, tuple) and len(stored) == 3 and stored[0] == stamp:
        member_ids, family_id = stored[1], stored[2]
    else:
        members = list_family_members_visible_to(viewer=viewer, today=today)
        if not members:
            return None
        member_ids = [member.pk for member in members]
        family_id = members[0].subscriber_id or members[0].pk
        cache.set(visible_key, (stamp, member_ids, family_id), timeout=seconds)
    shown = sorted({*member_ids, family_id})
    digest = hashlib.sha256(repr((viewer_id, stamp)).encode()).hexdigest()[:32]
    content_key = f"dashboard:content:{viewer_id}:{get_language()}:{digest}"
    versions, found = read_record_versions(user_id=viewer.pk, member_ids=shown, also=[content_key])
    built_under = (shown, versions, today.isoformat())
    cached = unseal(found.get(content_key), seconds=seconds)
    if isinstance(cached, tuple) and cached[0] == built_under:
        return cast(DashboardPage, cached[1])
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
    # viewer's member-services number (what to do about a late order), is passed in.
    support = SimpleLazyObject(lambda: get_support_contacts(viewer=viewer))
    content = render_to_string(
        CONTENT_TEMPLATE,
        {"dashboard": dashboard, "csrf_token": CSRF_PLACEHOLDER, "support": support},
    )
    return DashboardPage(
        content=content,
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
