"""The engine's explanation lines in the member's language.

The engine (pure Python, no Django) writes English sentences with every detail. In English we
show them as they are; in another language each line's stable `code` picks a translated
sentence built from the line's amount (a little less detail, never a different figure).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rxportal.pricing.engine import ExplanationLine


@dataclass(frozen=True)
class ExplanationText:
    code: str
    text: str
    amount: Decimal


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _translated(code: str, amount: Decimal) -> str | None:
    money = {"amount": _money(amount)}
    texts = {
        "total": _("The total cost of this fill is %(amount)s."),
        "channel_fallback": _(
            "Your plan lists no separate price for this 90-day supply, so it is priced as "
            "three 30-day retail fills."
        ),
        "deductible": _(
            "Deductible: you pay the first %(amount)s of the cost because your deductible is "
            "not yet met."
        ),
        "deductible_met": _("Your deductible is already met for this plan year."),
        "deductible_skipped": _("The deductible does not apply to this drug."),
        "copay": _("Your copay for this fill is %(amount)s."),
        "coinsurance": _("Coinsurance: your share of the rest of the cost is %(amount)s."),
        "coinsurance_minimum": _(
            "Your plan charges at least %(amount)s per fill, so you pay that."
        ),
        "coinsurance_maximum": _(
            "Your plan charges at most %(amount)s per fill, so you pay no more than that."
        ),
        "no_cost_share": _("There is no copay or coinsurance for this drug."),
        "lesser_of": _(
            "You pay %(amount)s instead, because you never pay more than the drug's price."
        ),
        "insulin_cap": _("Insulin is capped per month's supply, so you pay at most %(amount)s."),
        "summary": _("You pay %(amount)s."),
    }
    if code == "out_of_network":
        if amount > 0:
            return (
                _(
                    "This pharmacy is out of network and your plan does not cover out-of-network "
                    "fills, so you pay the full %(amount)s."
                )
                % money
            )
        return _("This pharmacy is out of network; your plan covers it at in-network cost sharing.")
    if code == "oop_cap":
        if amount == 0:
            return _(
                "You have already met your out-of-pocket maximum for this plan year, so you pay "
                "nothing for this fill."
            )
        return (
            _(
                "This fill reaches your out-of-pocket maximum, so you pay only the %(amount)s left "
                "before it."
            )
            % money
        )
    text = texts.get(code)
    return None if text is None else text % money if "%(amount)s" in text else text


def localize_line(*, code: str, text: str, amount: Decimal) -> ExplanationText:
    language = (get_language() or "en").split("-")[0]
    if language != "en":
        text = _translated(code, amount) or text
    return ExplanationText(code=code, text=text, amount=amount)


def localize_explanation(lines: Iterable[ExplanationLine]) -> list[ExplanationText]:
    return [localize_line(code=line.code, text=line.text, amount=line.amount) for line in lines]


def localize_stored_explanation(lines: Iterable[Mapping[str, Any]]) -> list[ExplanationText]:
    """A quote's stored lines ({code, text, amount as a string}) in the member's language."""
    return [
        localize_line(code=str(row["code"]), text=str(row["text"]), amount=Decimal(row["amount"]))
        for row in lines
    ]


def explanation_to_json(lines: Iterable[ExplanationLine]) -> list[dict[str, str]]:
    return [{"code": line.code, "text": line.text, "amount": str(line.amount)} for line in lines]
