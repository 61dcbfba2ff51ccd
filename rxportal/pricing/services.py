"""Writes of the pricing app: saving an estimate as a price quote the member can hold us to."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.core import clock
from rxportal.members.models import Member
from rxportal.pricing import domain
from rxportal.pricing.errors import NotQuotable, PlanYearOver
from rxportal.pricing.explain import explanation_to_json
from rxportal.pricing.models import PriceQuote
from rxportal.pricing.selectors import FillEstimate


def compute_plan_year_end(plan_year: int) -> dt.datetime:
    """Midnight starting January 1 after the plan year, in the portal's time zone."""
    return dt.datetime(plan_year + 1, 1, 1, tzinfo=timezone.get_default_timezone())


def create_price_quote(
    *,
    member: Member,
    estimate: FillEstimate,
    actor: AbstractBaseUser | AnonymousUser,
    now: dt.datetime | None = None,
) -> PriceQuote:
    """Save `estimate` (made for `member` by selectors.estimate_fill) as a price quote.

    Valid for domain.QUOTE_VALID_DAYS (30) days from `now`, never past the end of the member's
    plan year. Raises NotQuotable for an estimate without a price (not covered), PlanYearOver
    once the plan year has ended. Audited as `pricing.quote.created`.
    """
    now = now or clock.now()
    adjudication = estimate.adjudication
    if not estimate.covered or adjudication is None:
        raise NotQuotable(
            _("Only a fill your plan covers can be saved as a price quote."),
            drug=str(estimate.drug.public_id),
        )
    plan = member.plan
    plan_year_end = compute_plan_year_end(plan.plan_year)
    if now >= plan_year_end:
        raise PlanYearOver(
            _("Your plan year has ended, so this price cannot be quoted."),
            plan_year=plan.plan_year,
        )
    valid_until = domain.compute_quote_valid_until(now=now, plan_year_end=plan_year_end)
    accumulators = estimate.accumulators
    with transaction.atomic():
        quote = PriceQuote(
            member=member,
            plan=plan,
            drug=estimate.drug,
            pharmacy=estimate.pharmacy,
            channel=estimate.channel,
            tier=estimate.tier or "",
            network_status=estimate.network_status,
            quantity=estimate.quantity,
            days_supply=estimate.days_supply,
            is_insulin=estimate.is_insulin,
            unit_price=estimate.unit_price,
            deductible_met=accumulators.deductible_met,
            oop_met=accumulators.oop_met,
            family_deductible_met=accumulators.family_deductible_met,
            family_oop_met=accumulators.family_oop_met,
            total_cost=adjudication.total_cost,
            member_pays=adjudication.member_pays,
            plan_pays=adjudication.plan_pays,
            deductible_applied=adjudication.deductible_applied,
            explanation=explanation_to_json(adjudication.explanation),
            quoted_at=now,
            valid_until=valid_until,
        )
        quote.full_clean(validate_constraints=False)
        quote.save(force_insert=True)
        record_event(
            action="pricing.quote.created",
            outcome=Outcome.SUCCESS,
            actor=actor,
            subject=quote,
            details={
                "member": str(member.public_id),
                "channel": estimate.channel,
                "days_supply": estimate.days_supply,
                "pharmacy_chosen": estimate.pharmacy is not None,
            },
        )
    return quote
