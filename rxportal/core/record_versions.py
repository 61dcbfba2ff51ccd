"""Version numbers of what members' records look like, for caches of pages that show them.

A writer bumps the members whose records it changed (and, for who-may-see-whom changes, the
family-access number of each account in the family); a reader puts the numbers in its cache key,
so a bumped number makes every older entry unreachable at once, whatever its time to live. Keys
hold row ids only, never PHI.

The numbers live in the default cache. A number that is missing (never set, expired or evicted)
starts again at a random value, never at one an older entry could have been keyed with. A bump
happens at once and again when the transaction commits: the first keeps a reader inside the same
transaction fresh, the second stops a reader who read the old rows before the commit from
leaving them under the number a bump had already made current.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

# Far longer than any entry keyed with them lives: a number that expires only restarts at
# a random value.
VERSION_SECONDS = 7 * 24 * 3600
_EVERYONE_KEY = "record-version:all"


def _member_key(member_id: int) -> str:
    return f"record-version:member:{member_id}"


def _access_key(user_id: int) -> str:
    return f"record-version:access:{user_id}"


def bump_member_records(member_ids: Iterable[int | None]) -> None:
    """These members' claims, prescriptions, orders, accumulators or profile changed."""
    _bump([_member_key(member_id) for member_id in set(member_ids) if member_id is not None])


def bump_family_access(user_ids: Iterable[int | None]) -> None:
    """Whom these accounts may see may have changed (a grant, a revoke, a family change)."""
    _bump([_access_key(user_id) for user_id in set(user_ids) if user_id is not None])


def bump_all_records() -> None:
    """Something many members' pages show changed (a plan, a seed or an import in bulk)."""
    _bump([_EVERYONE_KEY])


def read_record_versions(
    *, user_id: int, member_ids: list[int], also: list[str] | None = None
) -> tuple[tuple[int, ...], dict[str, Any]]:
    """The everyone number, the account's family-access number, then each member's number, in
    one cache round trip (two when some number must start); ``also`` are other cache keys read
    in the same trip, returned with what they hold (absent ones left out)."""
    keys = [_EVERYONE_KEY, _access_key(user_id), *(_member_key(pk) for pk in member_ids)]
    found = cache.get_many([*keys, *(also or [])])
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _fresh_start(), timeout=VERSION_SECONDS)
        found.update(cache.get_many(missing))
    versions = tuple(int(found.get(key, 0)) for key in keys)
    return versions, {key: found[key] for key in also or [] if key in found}


def _bump(keys: list[str]) -> None:
    if not keys:
        return
    _increment(keys)
    # robust: should this second bump fail, the other commit callbacks (another family's bump, a
    # message's delivery) still run; the entry it misses lives at most the cache's 5 minutes.
    transaction.on_commit(lambda: _increment(keys), robust=True)


def _increment(keys: list[str]) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # not there: any new number makes older entries unreachable
            if not cache.add(key, _fresh_start(), timeout=VERSION_SECONDS):
                cache.incr(key)


def _fresh_start() -> int:
    return secrets.randbelow(2**52)
