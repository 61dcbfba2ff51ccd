"""The member's profile: who they are, their plan, and the family members they may see."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from rxportal.api.auth import reader_for
from rxportal.api.guards import member_for, require_read
from rxportal.api.schemas import PersonOut, PlanOut, person_out, plan_out
from rxportal.core import clock
from rxportal.records.reads import record_phi_read, visible_members

router = Router(tags=["profile"])


class ProfileOut(Schema):
    member: PersonOut
    member_id: str
    date_of_birth: dt.date
    coverage_start: dt.date
    coverage_end: dt.date | None
    plan: PlanOut
    # The caller's own record first, then the family members whose records they may see.
    family: list[PersonOut]


@router.get("", response={200: ProfileOut}, summary="The member's profile")
def get_profile(request: HttpRequest, member: str | None = None) -> ProfileOut:
    """Needs ``patient/Patient.read`` (or ``.rs``). ``member``: a family member's public id."""
    require_read(request, "Patient")
    person = member_for(request, member)
    reader = reader_for(request)
    family = visible_members(reader, today=clock.today())
    record_phi_read(
        reader,
        action="phi.profile.viewed",
        subject=person,
        details={"family": len(family)},
    )
    return ProfileOut(
        member=person_out(person, viewer_id=request.user.pk),
        member_id=person.member_id,
        date_of_birth=person.date_of_birth,
        coverage_start=person.coverage_start,
        coverage_end=person.coverage_end,
        plan=plan_out(person.plan),
        family=[person_out(each, viewer_id=request.user.pk) for each in family],
    )
