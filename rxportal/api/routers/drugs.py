"""Drugs: search by name (the same typo-tolerant search as /drugs/), and a drug's coverage on
the member's plan (tier, rules, what a 30-day retail fill costs, cheaper alternatives)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from rxportal.api.auth import reader_for
from rxportal.api.guards import member_for, require_read
from rxportal.api.problems import invalid, not_found
from rxportal.api.schemas import FillOut, PersonOut, fill_out, person_out
from rxportal.core import clock
from rxportal.formulary import domain
from rxportal.formulary.errors import DrugNotFound
from rxportal.formulary.selectors import get_drug_page, search_drugs
from rxportal.records.reads import record_phi_read

if TYPE_CHECKING:
    from rxportal.formulary.models import Drug

router = Router(tags=["drugs"])


class DrugProductOut(Schema):
    public_id: str
    name: str
    ingredient: str
    brand_name: str
    strength: str
    dose_form: str
    is_brand: bool


class DrugGroupOut(Schema):
    """One generic or brand name with all its strengths and forms."""

    kind: str  # generic, brand
    name: str
    ingredient: str
    drugs: list[DrugProductOut]


class DrugSearchOut(Schema):
    query: str
    results: list[DrugGroupOut]


class DrugSearchIn(Schema):
    q: str = Field(
        min_length=domain.SEARCH_QUERY_MIN_CHARS,
        max_length=domain.SEARCH_QUERY_MAX_CHARS,
        description="A brand or generic name, or its start (typos are forgiven).",
    )


def _drug_out(drug: Drug) -> DrugProductOut:
    return DrugProductOut(
        public_id=str(drug.public_id),
        name=drug.name,
        ingredient=drug.ingredient,
        brand_name=drug.brand_name,
        strength=drug.strength,
        dose_form=drug.dose_form,
        is_brand=drug.is_brand,
    )


@router.get("", response={200: DrugSearchOut}, summary="Search drugs")
def search(request: HttpRequest, filters: Query[DrugSearchIn]) -> DrugSearchOut:
    """Public reference data, but a valid token (any scope) is still needed."""
    text = " ".join(filters.q.split())
    if len(domain.normalize_search_text(text)) < domain.SEARCH_QUERY_MIN_CHARS:
        raise invalid(
            "query.q",
            _("Enter at least %(count)s letters of the drug's name.")
            % {"count": domain.SEARCH_QUERY_MIN_CHARS},
            code="too_short",
        )
    groups = search_drugs(query=text)
    return DrugSearchOut(
        query=text,
        results=[
            DrugGroupOut(
                kind=group.kind.value,
                name=group.label,
                ingredient=group.ingredient,
                drugs=[_drug_out(drug) for drug in group.drugs],
            )
            for group in groups
        ],
    )


class QuantityLimitOut(Schema):
    amount: int
    days: int


class AlternativeOut(Schema):
    drug: DrugProductOut
    tier: str
    estimate: FillOut


class DrugCoverageOut(Schema):
    """The drug on the member's plan. ``covered`` false: not on the formulary (then tier and
    rules are null). ``estimate``: a 30-day retail fill at the default quantity."""

    drug: DrugProductOut
    member: PersonOut
    covered: bool
    tier: str | None
    prior_authorization: bool | None
    step_therapy: bool | None
    quantity_limit: QuantityLimitOut | None
    mail_eligible: bool | None
    specialty: bool | None
    estimate: FillOut
    alternatives: list[AlternativeOut]


@router.get(
    "/{drug_id}/coverage",
    response={200: DrugCoverageOut},
    summary="A drug's coverage on the member's plan",
)
def get_coverage(request: HttpRequest, drug_id: str, member: str | None = None) -> DrugCoverageOut:
    """Needs ``patient/Coverage.read``. ``member``: a family member's public id."""
    require_read(request, "Coverage")
    person = member_for(request, member)
    try:
        page = get_drug_page(
            public_id=drug_id, viewer=request.user, member=person, today=clock.today()
        )
    except DrugNotFound:
        raise not_found(_("There is no such drug.")) from None
    coverage = page.coverage
    assert coverage is not None  # a member was given
    entry = coverage.entry
    record_phi_read(
        reader_for(request),
        action="phi.drug_coverage.viewed",
        subject=person,
        # The audit guard refuses detail keys naming a drug, so the id goes under "item".
        details={
            "item": str(page.drug.public_id),
            "covered": coverage.is_covered,
            "alternatives": len(coverage.alternatives),
        },
    )
    limit = None
    if entry is not None and entry.quantity_limit_amount and entry.quantity_limit_days:
        limit = QuantityLimitOut(amount=entry.quantity_limit_amount, days=entry.quantity_limit_days)
    return DrugCoverageOut(
        drug=_drug_out(page.drug),
        member=person_out(person, viewer_id=request.user.pk),
        covered=entry is not None,
        tier=entry.tier if entry is not None else None,
        prior_authorization=entry.prior_authorization if entry is not None else None,
        step_therapy=entry.step_therapy if entry is not None else None,
        quantity_limit=limit,
        mail_eligible=entry.mail_eligible if entry is not None else None,
        specialty=entry.is_specialty if entry is not None else None,
        estimate=fill_out(coverage.estimate),
        alternatives=[
            AlternativeOut(
                drug=_drug_out(alternative.drug),
                tier=alternative.entry.tier,
                estimate=fill_out(alternative.estimate),
            )
            for alternative in coverage.alternatives
        ],
    )
