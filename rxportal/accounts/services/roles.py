"""A user's role picks the one group that holds their permissions (``accounts.permissions``)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group

from rxportal.accounts import permissions as perms

# ModelBackend's per-object caches of what a user holds.
_PERMISSION_CACHES = ("_perm_cache", "_user_perm_cache", "_group_perm_cache")
# Set on a user object once it is known to be in its role's group (lives as long as the object:
# one request).
_JOINED_ATTRIBUTE = "_rx_role_group_joined"


def ensure_role_group(*, user: AbstractBaseUser) -> None:
    """Put the user in their role's group (idempotent): on sign-up, and at sign-in both before
    the second-factor rule is checked and when the sign-in completes."""
    spec = perms.ROLE_GROUPS.get(str(getattr(user, "role", "")))
    if spec is None or not user.pk:
        return
    if user.__dict__.get(_JOINED_ATTRIBUTE) == spec[0]:
        return  # already checked on this object (the sign-in asks twice in one request)
    # One query when already in it (every sign-in but the first): the group by its name.
    if not user.groups.filter(name=spec[0]).exists():  # type: ignore[attr-defined]
        group = Group.objects.filter(name=spec[0]).first()
        if group is None:
            return
        user.groups.add(group)  # type: ignore[attr-defined]
        # A check on this same object after joining must see the group's permissions.
        for cache in _PERMISSION_CACHES:
            user.__dict__.pop(cache, None)
    user.__dict__[_JOINED_ATTRIBUTE] = spec[0]
