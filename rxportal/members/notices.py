"""Telling the people who may see a member's records about an event in them.

Producers (automatic refills, orders, benefits) call ``notify_people_who_may_see`` inside the
event's transaction: it finds the recipients by the one access rule
(``selectors.list_users_who_may_see``) and writes each one's outbox rows through
``notifications.services.notify``. The idempotency key is the event's, made per recipient
(the outbox keeps one row per channel and key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rxportal.members.models import Member
from rxportal.members.selectors import list_users_who_may_see
from rxportal.notifications.services import notify


def notify_people_who_may_see(
    *,
    member: Member,
    kind: str,
    context: Mapping[str, Any],
    idempotency_key: str,
    link_path: str,
    today: dt.date,
) -> int:
    """Tell ``member`` (if they have an account) and whoever may see their records about an
    event. The templates get ``context`` plus ``recipient_first_name``, ``patient_first_name``
    and ``is_about_self`` (the recipient is the patient), so they can say "your" or "Lucia's".
    Returns how many outbox rows were written (or found from an earlier run).
    """
    rows = 0
    for user in list_users_who_may_see(member=member, today=today):
        rows += len(
            notify(
                recipient=user,
                kind=kind,
                context={
                    **context,
                    "recipient_first_name": user.first_name,
                    "patient_first_name": member.first_name,
                    "is_about_self": user.pk == member.user_id,
                },
                idempotency_key=f"{idempotency_key}:to:{user.pk}",
                link_path=link_path,
                about_member=member,
            )
        )
    return rows
