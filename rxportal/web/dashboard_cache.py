"""The member dashboard, cached per viewer: its reads and its rendered main content.

An entry's key is the viewer's public id and a digest of the version numbers of everything it
shows (``core.record_versions``): the everyone number, the viewer's family-access number, today,
and the number of each member the viewer may see and of the family's subscriber. Any write that
changes what the dashboard shows bumps one of them, so the next view misses and reads afresh; a
revoked family grant bumps the family-access number and hides the member at once. Which members
the viewer may see is itself cached under the everyone and family-access numbers and today (ids
only). Entries hold PHI: they are sealed (``core.sealed_cache``) and live
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
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.translation import get_language

from rxportal.core.record_versions import read_record_versions
from rxportal.core.sealed_cache import get_sealed, put_sealed
from rxportal.members.selectors import list_family_members_visible_to
from rxportal.web.selectors import MemberDashboard, find_member_dashboard

# Letters only: the csrf_token tag escapes what it is given.
CSRF_PLACEHOLDER = "rxportalcsrftokenplaceholder"
CONTENT_TEMPLATE = "web/_dashboard_content.html"


@dataclass(frozen=True)
class DashboardPage:
    """The dashboard's main content (``CSRF_PLACEHOLDER`` where the token goes) and the facts of
    its PHI-read audit event (ids and counts only)."""

    content: str
    subject_type: str
    subject_id: str
    audit_details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Keys:
    reads: str
    content: str


def get_dashboard_page(*, viewer: AbstractBaseUser, today: dt.date) -> DashboardPage | None:
    """The viewer's dashboard content, from the cache when nothing it shows has changed; None
    when the viewer is not a plan member."""
    keys = _keys_for(viewer=viewer, today=today)
    if keys is None:
        return None
    seconds = settings.RXPORTAL_DASHBOARD_CACHE_SECONDS
    page = get_sealed(keys.content, seconds=seconds)
    if isinstance(page, DashboardPage):
        return page
    dashboard = get_sealed(keys.reads, seconds=seconds)
    if not isinstance(dashboard, MemberDashboard):
        dashboard = find_member_dashboard(viewer=viewer, today=today)
        if dashboard is None:
            return None
        put_sealed(keys.reads, dashboard, seconds=seconds)
    page = _page_from(dashboard)
    put_sealed(keys.content, page, seconds=seconds)
    return page


def _page_from(dashboard: MemberDashboard) -> DashboardPage:
    content = render_to_string(
        CONTENT_TEMPLATE, {"dashboard": dashboard, "csrf_token": CSRF_PLACEHOLDER}
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


def _keys_for(*, viewer: AbstractBaseUser, today: dt.date) -> _Keys | None:
    everyone, access = read_record_versions(user_id=viewer.pk, member_ids=[])
    viewer_id = viewer.public_id.hex  # type: ignore[attr-defined]
    stamp = (everyone, access, today.isoformat())
    visible_key = f"dashboard:visible:{viewer_id}"
    stored = cache.get(visible_key)
    if isinstance(stored, tuple) and len(stored) == 3 and stored[0] == stamp:
        member_ids, family_id = stored[1], stored[2]
    else:
        members = list_family_members_visible_to(viewer=viewer, today=today)
        if not members:
            return None
        member_ids = [member.pk for member in members]
        family_id = members[0].subscriber_id or members[0].pk
        cache.set(
            visible_key,
            (stamp, member_ids, family_id),
            timeout=settings.RXPORTAL_DASHBOARD_CACHE_SECONDS,
        )
    shown = sorted({*member_ids, family_id})
    versions = read_record_versions(user_id=viewer.pk, member_ids=shown)
    digest = hashlib.sha256(repr((versions, shown, today.isoformat())).encode()).hexdigest()[:32]
    return _Keys(
        reads=f"dashboard:reads:{viewer_id}:{digest}",
        content=f"dashboard:content:{viewer_id}:{get_language()}:{digest}",
    )
