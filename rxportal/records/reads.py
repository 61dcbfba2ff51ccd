"""Readers, the members they may see, and the audit of each read (see the package docstring)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.http import HttpRequest

from rxportal.audit.services import Outcome, record_event
from rxportal.members.selectors import list_family_members_visible_to

if TYPE_CHECKING:
    from rxportal.members.models import Member


class Edge(StrEnum):
    WEB = "web"
    API = "api"
    FHIR = "fhir"


@dataclass(frozen=True)
class Reader:
    """A signed-in person reading records, the edge they read through, and the app (OAuth
    client id) when the edge is an API.

    The reader need not be a member: staff in the back office and a client's staff in the
    sponsor tools are readers on the web edge too. ``request`` is None when the read happens
    outside a request (a sponsor's claims report is built by a task on the asker's behalf).
    """

    user: AbstractBaseUser
    edge: Edge
    request: HttpRequest | None = None
    client_id: str = ""


def reader_for_page(request: HttpRequest) -> Reader:
    return Reader(user=request.user, edge=Edge.WEB, request=request)  # type: ignore[arg-type]


def reader_for_task(user: AbstractBaseUser) -> Reader:
    """The person on whose behalf a background task reads PHI (no request: no address)."""
    return Reader(user=user, edge=Edge.WEB)


def visible_members(reader: Reader, *, today: dt.date) -> list[Member]:
    """The reader's own member record first, then the family members they may see."""
    return list_family_members_visible_to(viewer=reader.user, today=today)


def find_visible_member(reader: Reader, *, public_id: str | None, today: dt.date) -> Member | None:
    """The member with this public id if the reader may see them today (the reader's own record
    when ``public_id`` is None); None for anyone else or a malformed id, which each edge answers
    as "not found" so an id reveals nothing."""
    members = visible_members(reader, today=today)
    if not members:
        return None
    if public_id is None:
        return members[0]
    wanted = str(public_id).strip().lower()
    return next((member for member in members if str(member.public_id) == wanted), None)


def record_phi_read(
    reader: Reader,
    *,
    action: str,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    details: Mapping[str, Any] | None = None,
    outcome: str = Outcome.SUCCESS,
    reason: str = "",
) -> None:
    """Write the audit event of one read of PHI (``phi.<what>.viewed`` and the like).

    The edge and, for an API, the app are added to the details, so the trail tells a page view
    from an app's read. Ids and counts only in ``details``: the audit service refuses PHI.
    ``outcome`` is ``failure`` or ``denied`` for a read that was tried and refused or found
    nothing (the back office's refusals, a sponsor's unknown member ID, an expired link): those
    are part of the trail of who reached for whose records, so they pass here too. The back
    office's saved changes of a PHI record (``phi.admin.changed``...) also come through here:
    every ``phi.`` event has this one writer. ``reason`` is why a staff member opened the
    records (the service center's reason code).
    """
    if not action.startswith("phi."):
        raise ValueError(f"a PHI read's audit action starts with 'phi.', not {action!r}")
    facts = dict(details or {})
    facts["edge"] = str(reader.edge)
    if reader.client_id:
        facts["app"] = reader.client_id
    record_event(
        action=action,
        outcome=outcome,
        actor=reader.user,
        request=reader.request,
        subject=subject,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=reason,
        details=facts,
    )
