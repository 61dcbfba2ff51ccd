"""A user's role picks the one group that holds their permissions (``accounts.permissions``)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group

from rxportal.accounts import permissions as perms

# ModelBackend's per-object caches of what a user holds.
_PERMISSION_CACHES = ("_perm_cache", "_user_perm_cache", "_group_perm_cache")


def ensure_role_group(*, user: AbstractBaseUser) -> None:
    """Put the user in their role's group (idempotent): on sign-up, and at sign-in both before
    the second-factor rule is checked and when the sign-in completes."""
    spec = perms.ROLE_GROUPS.get(str(getattr(user, "role", "")))
    if spec is None or not user.pk:
        return
    group = Group.objects.filter(name=spec[0]).first()
    if group is not None and not user.groups.filter(pk=group.pk).exists():  # type: ignore[attr-defined]
        user.groups.add(group)  # type: ignore[attr-defined]
        # A check on this same object after joining must see the group's permissions.
        for cache in _PERMISSION_CACHES:
            user.__dict__.pop(cache, None)
