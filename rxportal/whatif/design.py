"""Plan-design changes as plain values, applied to the engine's `BenefitDesign` (pure).

A client's what-if is a plan's design with some numbers changed: a tier's copay or
coinsurance in one channel (or every channel the tier is priced in), the deductible, the
out-of-pocket maximum, and a mail-order incentive. `apply_design_change` returns a new
`BenefitDesign` that the engine prices exactly as it prices the stored one, so the what-if
needs no pricing formula of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from rxportal.pricing.engine import BenefitDesign, Channel, CostShare, Tier

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class CostShareChange:
    """A new copay (dollars) XOR coinsurance (percent, 25 = 25%) for a tier.

    `channel` None: every channel the tier is already priced in. A channel the tier has no
    row for gets one (the deductible applies, as on the tier's other rows by default)."""

    tier: Tier
    channel: Channel | None
    copay: Decimal | None = None
    coinsurance_pct: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.copay is None) == (self.coinsurance_pct is None):
            raise ValueError("a cost-share change sets exactly one of copay and coinsurance")


@dataclass(frozen=True, slots=True)
class DesignChange:
    """What the client changes; None keeps the plan's own value.

    `mail_copay_months`: the mail-order incentive, "90 days by mail for N months of the
    retail copay": each tier's mail 90-day copay becomes its retail 30-day copay x N (2 is
    the usual "three months for the price of two"). Tiers priced by coinsurance keep theirs.
    """

    deductible_individual: Decimal | None = None
    deductible_family: Decimal | None = None
    oop_max_individual: Decimal | None = None
    oop_max_family: Decimal | None = None
    cost_shares: tuple[CostShareChange, ...] = ()
    mail_copay_months: Decimal | None = None

    @property
    def is_empty(self) -> bool:
        return self == DesignChange()

    def to_json(self) -> dict[str, Any]:
        def money(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "deductible_individual": money(self.deductible_individual),
            "deductible_family": money(self.deductible_family),
            "oop_max_individual": money(self.oop_max_individual),
            "oop_max_family": money(self.oop_max_family),
            "cost_shares": [
                {
                    "tier": row.tier.value,
                    "channel": row.channel.value if row.channel is not None else None,
                    "copay": money(row.copay),
                    "coinsurance_pct": money(row.coinsurance_pct),
                }
                for row in self.cost_shares
            ],
            "mail_copay_months": money(self.mail_copay_months),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DesignChange:
        def money(value: str | None) -> Decimal | None:
            return None if value is None else Decimal(value)

        return cls(
            deductible_individual=money(data.get("deductible_individual")),
            deductible_family=money(data.get("deductible_family")),
            oop_max_individual=money(data.get("oop_max_individual")),
            oop_max_family=money(data.get("oop_max_family")),
            cost_shares=tuple(
                CostShareChange(
                    tier=Tier(row["tier"]),
                    channel=Channel(row["channel"]) if row.get("channel") else None,
                    copay=money(row.get("copay")),
                    coinsurance_pct=money(row.get("coinsurance_pct")),
                )
                for row in data.get("cost_shares", ())
            ),
            mail_copay_months=money(data.get("mail_copay_months")),
        )


def apply_design_change(design: BenefitDesign, change: DesignChange) -> BenefitDesign:
    """The design with `change` applied: amounts first, then the tiers' rows in the order
    given, then the mail-order incentive (so it follows a changed retail copay)."""
    shares = dict(design.cost_shares)
    for row in change.cost_shares:
        if row.channel is not None:
            channels = [row.channel]
        else:
            channels = [channel for (tier, channel) in shares if tier is row.tier]
        for channel in channels:
            shares[(row.tier, channel)] = _changed_share(shares.get((row.tier, channel)), row)
    if change.mail_copay_months is not None:
        for (tier, channel), share in list(shares.items()):
            if channel is Channel.RETAIL_30 and share.copay is not None:
                shares[(tier, Channel.MAIL_90)] = CostShare(
                    copay=share.copay * change.mail_copay_months,
                    deductible_applies=share.deductible_applies,
                )
    return replace(
        design,
        deductible_individual=_pick(change.deductible_individual, design.deductible_individual),
        oop_max_individual=_pick(change.oop_max_individual, design.oop_max_individual),
        deductible_family=_pick(change.deductible_family, design.deductible_family),
        oop_max_family=_pick(change.oop_max_family, design.oop_max_family),
        cost_shares=shares,
    )


def _pick(new: Decimal | None, old: Decimal | None) -> Any:
    return old if new is None else new


def _changed_share(current: CostShare | None, row: CostShareChange) -> CostShare:
    deductible_applies = current.deductible_applies if current is not None else True
    if row.copay is not None:
        return CostShare(copay=row.copay, deductible_applies=deductible_applies)
    assert row.coinsurance_pct is not None
    return CostShare(
        coinsurance=row.coinsurance_pct / HUNDRED,
        # A coinsurance row keeps its per-fill floor and ceiling when it had them.
        minimum=current.minimum if current is not None else None,
        maximum=current.maximum if current is not None else None,
        deductible_applies=deductible_applies,
    )


def design_to_json(design: BenefitDesign) -> dict[str, Any]:
    """A stable, complete picture of a design (for the inputs hash and the stored inputs)."""

    def money(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "code": design.code,
        "deductible_individual": money(design.deductible_individual),
        "deductible_family": money(design.deductible_family),
        "oop_max_individual": money(design.oop_max_individual),
        "oop_max_family": money(design.oop_max_family),
        "insulin_monthly_cap": money(design.insulin_monthly_cap),
        "insulin_skips_deductible": design.insulin_skips_deductible,
        "out_of_network_covered": design.out_of_network_covered,
        "cost_shares": [
            [tier.value, channel.value, money(share.copay), money(share.coinsurance),
             money(share.minimum), money(share.maximum), share.deductible_applies]
            for (tier, channel), share in sorted(design.cost_shares.items())
        ],
    }  # fmt: skip


def compute_inputs_hash(inputs: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the inputs: same inputs, same hash, same answer."""
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
