"""Who sees which hub content, and the webinar calendar file: pure Python, no ORM or settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class AudienceCode(StrEnum):
    CLIENTS = "clients"
    ADVISORS = "advisors"
    BOTH = "both"


# Portal roles (accounts.Role values) that read the hub, and the audiences each one sees.
_AUDIENCES_BY_ROLE: dict[str, frozenset[str]] = {
    "client": frozenset({AudienceCode.CLIENTS, AudienceCode.BOTH}),
    "advisor": frozenset({AudienceCode.ADVISORS, AudienceCode.BOTH}),
}
ALL_AUDIENCES = frozenset(AudienceCode)


def compute_audiences(*, role: str, is_editor: bool) -> frozenset[str]:
    """The audiences a user may read: clients and advisors their own (and "both"); content
    editors (PBM staff with the CMS permission) every audience, to preview; anyone else none."""
    if is_editor:
        return ALL_AUDIENCES
    return _AUDIENCES_BY_ROLE.get(role, frozenset())


def is_visible(*, audience: str, audiences: Iterable[str]) -> bool:
    return audience in frozenset(audiences)


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    title: str
    description: str
    url: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def _utc(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _escape(text: str) -> str:
    """RFC 5545 §3.3.11 TEXT: backslash, semicolon and comma escaped, newlines as \\n."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued with CRLF and one space."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    limit = 75
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > limit:
            parts.append(current.decode())
            current = b""
            limit = 74  # the leading space of a continuation line counts
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def compute_ics(*, event: CalendarEvent, now: dt.datetime) -> str:
    """One VEVENT in a VCALENDAR (RFC 5545): UTC times, a stable UID, CRLF line ends."""
    if event.ends_at <= event.starts_at:
        raise ValueError("a calendar event must end after it starts")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//rxportal//Content hub//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(event.starts_at)}",
        f"DTEND:{_utc(event.ends_at)}",
        f"SUMMARY:{_escape(event.title)}",
        f"DESCRIPTION:{_escape(event.description)}",
        f"URL:{event.url}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)


class HelpAudienceCode(StrEnum):
    """Who a help article is written for. Help is public: this only filters lists."""

    EVERYONE = "everyone"
    MEMBERS = "members"
    CLIENTS = "clients"


def compute_help_audiences(*, wanted: str) -> frozenset[str]:
    """The audiences a help list shows: one audience plus "everyone", or all when unfiltered."""
    if wanted in {HelpAudienceCode.MEMBERS, HelpAudienceCode.CLIENTS}:
        return frozenset({wanted, HelpAudienceCode.EVERYONE})
    return frozenset(HelpAudienceCode)
