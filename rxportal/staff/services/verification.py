"""Which callers this staff session has verified (member id, date of birth and ZIP matched).

The service center's actions on a member (username reminder, unlock) are offered only after the
caller was verified in the same session, within ``VERIFIED_FOR``; a caller's orders and claims
open only within the shorter ``CALLER_CHECK_VALID_FOR`` of a check bound to that member
(``CallerCheck``, read by ``service_center``). Only public ids and times are kept in the
session, never what was typed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpRequest

SESSION_KEY = "rx_staff_verified_members"
VERIFIED_FOR = dt.timedelta(minutes=30)
MAX_REMEMBERED = 20
CALLER_CHECK_VALID_FOR = dt.timedelta(minutes=15)


def _entries(request: HttpRequest) -> dict[str, float]:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int | float)}


def remember_verified(request: HttpRequest, public_ids: Iterable[str], *, now: dt.datetime) -> None:
    cutoff = (now - VERIFIED_FOR).timestamp()
    entries = {k: v for k, v in _entries(request).items() if v >= cutoff}
    for public_id in public_ids:
        entries[public_id] = now.timestamp()
    newest = sorted(entries.items(), key=lambda item: item[1], reverse=True)[:MAX_REMEMBERED]
    request.session[SESSION_KEY] = dict(newest)


def is_verified(request: HttpRequest, public_id: str, *, now: dt.datetime) -> bool:
    at = _entries(request).get(public_id)
    return at is not None and now.timestamp() - at <= VERIFIED_FOR.total_seconds()


def verified_at(request: HttpRequest, public_id: str) -> dt.datetime | None:
    """When this session last verified the caller ``public_id`` (None if never)."""
    at = _entries(request).get(public_id)
    return dt.datetime.fromtimestamp(at, tz=dt.UTC) if at is not None else None


@dataclass(frozen=True)
class CallerCheck:
    """A caller verified in this staff session: whom (public id) and when."""

    public_id: str
    verified_at: dt.datetime

    def is_current_for(self, public_id: uuid.UUID | str, *, now: dt.datetime) -> bool:
        return self.public_id == str(public_id) and (
            dt.timedelta(0) <= now - self.verified_at <= CALLER_CHECK_VALID_FOR
        )


def is_caller_verified(
    caller: CallerCheck | None, public_id: uuid.UUID | str, *, now: dt.datetime
) -> bool:
    return caller is not None and caller.is_current_for(public_id, now=now)
