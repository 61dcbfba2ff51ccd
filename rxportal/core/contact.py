"""The one source of the portal's phone numbers and support hours.

Every page (the footer through the ``support`` template variable), the ID card page and PDF,
the error pages and the emails read their numbers here. The numbers themselves live in
``settings.RXPORTAL_SUPPORT`` (fictitious 555-01xx numbers); the one rule applied on top:

* a plan sponsor (``clients.Client.member_services_phone``) may have its own member-services
  line, printed on its members' ID cards; then that member sees the same line everywhere
  (footer, help pages, emails sent to them). Anyone else sees the PBM's line.
* clients and advisors are sent to client services, members to member services; a visitor
  who is not signed in sees both, labelled (the page must not reveal whose username it is).

No database and no request here (``core`` imports no app): the error pages use
``default_support_contacts()``; ``members.selectors.get_support_contacts(viewer=...)`` finds
the signed-in member's sponsor line and calls ``support_contacts()``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import cast

from django.conf import settings
from django.utils.functional import Promise


class Audience(StrEnum):
    """Which help line is the viewer's own."""

    UNKNOWN = "unknown"  # not signed in: show both lines, labelled
    MEMBER = "member"
    CLIENT = "client"  # clients and advisors


@dataclass(frozen=True)
class SupportContacts:
    member_phone: str
    pharmacist_phone: str
    client_phone: str
    tty: str
    # Lazy translations: rendered in the active language.
    hours: str | Promise
    client_hours: str | Promise
    audience: Audience = Audience.UNKNOWN
    # True when member_phone is the plan sponsor's own line (the one on the member's ID card).
    member_phone_is_sponsors: bool = False

    @property
    def for_clients(self) -> bool:
        return self.audience == Audience.CLIENT

    @property
    def for_members(self) -> bool:
        return self.audience == Audience.MEMBER

    @property
    def own_phone(self) -> str:
        """The viewer's own help line: client services for clients and advisors, else members'."""
        return self.client_phone if self.for_clients else self.member_phone


def default_support_contacts() -> SupportContacts:
    """The PBM's numbers and hours, from settings only (safe on a 500 page: no DB, no user)."""
    support = settings.RXPORTAL_SUPPORT
    return SupportContacts(
        member_phone=str(support["member_phone"]),
        pharmacist_phone=str(support["pharmacist_phone"]),
        client_phone=str(support["client_phone"]),
        tty=str(support["tty"]),
        hours=cast("str | Promise", support["hours"]),
        client_hours=cast("str | Promise", support["client_hours"]),
    )


def support_contacts(
    *, audience: Audience = Audience.UNKNOWN, sponsor_member_phone: str = ""
) -> SupportContacts:
    """The rule: the sponsor's own member-services line, when it has one, replaces the PBM's."""
    contacts = replace(default_support_contacts(), audience=audience)
    sponsor_member_phone = sponsor_member_phone.strip()
    if sponsor_member_phone:
        contacts = replace(
            contacts, member_phone=sponsor_member_phone, member_phone_is_sponsors=True
        )
    return contacts
