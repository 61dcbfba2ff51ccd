"""Price one hypothetical fill on a plan and print the engine's answer as JSON.

    python manage.py test_claim --plan PARTD-STD-2025 --tier generic --drug-cost 1000 \\
        --days-supply 30 --channel retail

Bad input (unknown plan or tier, negative or non-numeric amounts, days < 1) prints one line on
stderr and exits with status 2.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rxportal.plans.errors import PlanNotFound
from rxportal.plans.selectors import benefit_design_for, get_plan_by_code
from rxportal.pricing.engine import (
    Accumulators,
    Adjudication,
    ClaimInput,
    EngineInputError,
    NotCovered,
    Tier,
    adjudicate,
    channel_for,
)

USAGE_ERROR = 2


def _usage_error(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def _amount(option: str, raw: str | None) -> Decimal:
    if raw is None:
        return Decimal("0.00")
    try:
        value = Decimal(raw.replace(",", "").removeprefix("$"))
    except InvalidOperation:
        raise _usage_error(
            f"{option} must be an amount like 1000 or 692.50, got {raw!r}."
        ) from None
    if not value.is_finite() or value < 0:
        raise _usage_error(f"{option} must be a non-negative amount, got {raw!r}.")
    return value.quantize(Decimal("0.01"))


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _as_json(plan_code: str, claim: ClaimInput, result: Adjudication) -> dict[str, Any]:
    after = result.accumulators_after
    return {
        "plan": plan_code,
        "tier": claim.tier.value,
        "channel": claim.channel.value,
        "days_supply": claim.days_supply,
        "is_insulin": claim.is_insulin,
        "total_cost": _money(result.total_cost),
        "member_pays": _money(result.member_pays),
        "plan_pays": _money(result.plan_pays),
        "deductible_applied": _money(result.deductible_applied),
        "oop_applied": _money(result.oop_applied),
        "accumulators_after": {
            "deductible_met": _money(after.deductible_met),
            "oop_met": _money(after.oop_met),
            "family_deductible_met": _money(after.family_deductible_met),
            "family_oop_met": _money(after.family_oop_met),
        },
        "explanation": [
            {"code": line.code, "text": line.text, "amount": _money(line.amount)}
            for line in result.explanation
        ],
    }


class Command(BaseCommand):
    help = "Adjudicate one hypothetical claim on a plan and print the result as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", required=True, help="Plan code, e.g. PARTD-STD-2025")
        parser.add_argument(
            "--tier", required=True, help=f"Formulary tier: {', '.join(t.value for t in Tier)}"
        )
        parser.add_argument("--drug-cost", required=True, help="Total cost of the fill, dollars")
        parser.add_argument("--days-supply", required=True, help="Days supplied (1 or more)")
        parser.add_argument("--channel", required=True, choices=["retail", "mail", "specialty"])
        parser.add_argument("--insulin", action="store_true", help="The drug is a covered insulin")
        parser.add_argument("--deductible-met", help="Individual deductible met so far this year")
        parser.add_argument("--oop-met", help="Individual out-of-pocket met so far this year")
        parser.add_argument("--family-deductible-met", help="Family deductible met so far")
        parser.add_argument("--family-oop-met", help="Family out-of-pocket met so far")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tier = Tier(options["tier"])
        except ValueError:
            known = ", ".join(t.value for t in Tier)
            raise _usage_error(
                f"Unknown tier {options['tier']!r}; expected one of: {known}."
            ) from None
        drug_cost = _amount("--drug-cost", options["drug_cost"])
        raw_days = options["days_supply"]
        try:
            days_supply = int(str(raw_days))
        except ValueError:
            raise _usage_error(f"--days-supply must be a whole number, got {raw_days!r}.") from None
        if days_supply < 1:
            raise _usage_error(f"--days-supply must be at least 1, got {days_supply}.")
        accumulators = Accumulators(
            deductible_met=_amount("--deductible-met", options["deductible_met"]),
            oop_met=_amount("--oop-met", options["oop_met"]),
            family_deductible_met=_amount(
                "--family-deductible-met", options["family_deductible_met"]
            ),
            family_oop_met=_amount("--family-oop-met", options["family_oop_met"]),
        )
        try:
            plan = get_plan_by_code(options["plan"])
        except PlanNotFound as exc:
            raise _usage_error(exc.message) from None
        try:
            claim = ClaimInput(
                tier=tier,
                drug_cost=drug_cost,
                days_supply=days_supply,
                channel=channel_for(options["channel"], days_supply),
                is_insulin=options["insulin"],
            )
            result = adjudicate(benefit_design_for(plan), accumulators, claim)
        except (EngineInputError, NotCovered) as exc:
            raise _usage_error(str(exc)) from None
        self.stdout.write(json.dumps(_as_json(plan.code, claim, result), indent=2))
