"""Member use cases that write."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from rxportal.members.models import Member


def link_member_user(*, member: Member, user: Any, actor: Any = None) -> Member:
    """Give `user` sign-in access to `member` (one member per user: any older link is moved)."""
    with transaction.atomic():
        Member.objects.filter(user=user).exclude(pk=member.pk).update(user=None)
        member.user = user
        member.save(update_fields=["user", "updated_at"])
    return member
