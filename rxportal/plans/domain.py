"""Plan benefit designs as plain values, and the rules that turn real marketplace data into them.

Pure: no ORM, settings or clock. Two jobs:

* `to_benefit_design` is the ONE mapping from a plan's stored numbers (coinsurance as a
  percentage 0-100, as in the database) to the engine's `BenefitDesign` (coinsurance as a
  fraction). Every caller (demo data, `test_claim`, estimates) goes through it.
* `compute_qhp_cost_shares` / `compute_qhp_plan_specs` read the rows of the real CMS QHP
  marketplace file `qhp_formulary_cost_sharing.csv` (CareFirst, Virginia, plan year 2024) and
  turn one plan's rows into cost shares for our four channels.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rxportal.pricing.engine import BenefitDesign, Channel, CostShare, Tier

HUNDRED = Decimal(100)

# --- The one mapping: stored plan values -> engine BenefitDesign ---------------------------


@dataclass(frozen=True, slots=True)
class CostShareValues:
    """One cost-share row as stored: coinsurance is a percentage (25 = 25%)."""

    tier: str
    channel: str
    copay: Decimal | None = None
    coinsurance_pct: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    deductible_applies: bool = True


@dataclass(frozen=True, slots=True)
class PlanValues:
    code: str
    plan_year: int
    deductible_individual: Decimal
    oop_max_individual: Decimal
    deductible_family: Decimal | None = None
    oop_max_family: Decimal | None = None
    insulin_monthly_cap: Decimal | None = None
    out_of_network_covered: bool = False


def to_benefit_design(*, plan: PlanValues, cost_shares: Iterable[CostShareValues]) -> BenefitDesign:
    """The engine's view of a plan. Coinsurance percent / 100 -> fraction.

    The Plan model has no `insulin_skips_deductible` column: the engine default (True) is used,
    which is the IRA rule for Part D and how state insulin caps work for commercial plans.
    """
    shares: dict[tuple[Tier, Channel], CostShare] = {}
    for row in cost_shares:
        key = (Tier(row.tier), Channel(row.channel))
        shares[key] = CostShare(
            copay=row.copay,
            coinsurance=row.coinsurance_pct / HUNDRED if row.coinsurance_pct is not None else None,
            minimum=row.minimum,
            maximum=row.maximum,
            deductible_applies=row.deductible_applies,
        )
    return BenefitDesign(
        code=plan.code,
        plan_year=plan.plan_year,
        deductible_individual=plan.deductible_individual,
        oop_max_individual=plan.oop_max_individual,
        deductible_family=plan.deductible_family,
        oop_max_family=plan.oop_max_family,
        cost_shares=shares,
        insulin_monthly_cap=plan.insulin_monthly_cap,
        out_of_network_covered=plan.out_of_network_covered,
    )


def cost_share_values_from_design(design: BenefitDesign) -> list[CostShareValues]:
    """The inverse mapping, to store an engine design (e.g. Part D) as CostShare rows."""
    rows = []
    for (tier, channel), share in sorted(design.cost_shares.items()):
        rows.append(
            CostShareValues(
                tier=tier.value,
                channel=channel.value,
                copay=share.copay,
                coinsurance_pct=(share.coinsurance * HUNDRED).quantize(Decimal("0.01"))
                if share.coinsurance is not None
                else None,
                minimum=share.minimum,
                maximum=share.maximum,
                deductible_applies=share.deductible_applies,
            )
        )
    return rows


# --- Real marketplace cost sharing -> our channels -----------------------------------------

# Da Vinci pharmacy benefit types (in-network) feeding each of our channels.
RETAIL_1_MONTH = "1-month-in-retail"
RETAIL_3_MONTH = "3-month-in-retail"
OUT_OF_NETWORK_TYPES = frozenset({"1-month-out-retail", "3-month-out-retail"})
AFTER_DEDUCTIBLE = "after-deductible"

# ACA 2024 maximum annual out-of-pocket limits (HHS Notice of Benefit and Payment Parameters
# for 2024, 45 CFR 156.130): the QHP file has no OOP amounts and these plans are plan year 2024.
ACA_2024_OOP_MAX_INDIVIDUAL = Decimal("9450.00")
ACA_2024_OOP_MAX_FAMILY = Decimal("18900.00")
# Family deductible = 2 x individual: the usual embedded family deductible on the issuer's
# Summary of Benefits (the QHP file carries no deductible amounts at all).
FAMILY_DEDUCTIBLE_MULTIPLIER = 2


@dataclass(frozen=True, slots=True)
class QhpTerms:
    """One row of the QHP file, read: a copay XOR a coinsurance percent, and the deductible."""

    copay: Decimal | None
    coinsurance_pct: Decimal | None
    deductible_applies: bool

    @property
    def rank(self) -> tuple[Decimal, Decimal, bool]:
        """Higher = the member pays more. Used to pick one of several rows for a tier."""
        return (
            self.copay or Decimal(0),
            self.coinsurance_pct or Decimal(0),
            self.deductible_applies,
        )


def interpret_qhp_row(row: Mapping[str, str]) -> QhpTerms:
    """Read one cost-sharing row of `qhp_formulary_cost_sharing.csv`.

    * Either option `after-deductible` -> the deductible applies to this tier.
    * Coinsurance 100 with option `after-deductible` is how the issuer file encodes "member
      pays the copay only, after the deductible" (data README): it becomes that copay (often $0,
      i.e. "no charge after deductible").
    * Any other coinsurance above 0 is a real coinsurance percent (none in this file today).
    * Otherwise the copay column is the copay (`no-charge` rows hold 0).
    """
    copay = Decimal(row.get("copay_usd") or "0")
    pct = Decimal(row.get("coinsurance_pct") or "0")
    coinsurance_after = row.get("coinsurance_option") == AFTER_DEDUCTIBLE
    deductible_applies = row.get("copay_option") == AFTER_DEDUCTIBLE or coinsurance_after
    if pct == HUNDRED and coinsurance_after:
        return QhpTerms(copay=copay, coinsurance_pct=None, deductible_applies=deductible_applies)
    if pct > 0:
        return QhpTerms(copay=None, coinsurance_pct=pct, deductible_applies=deductible_applies)
    return QhpTerms(copay=copay, coinsurance_pct=None, deductible_applies=deductible_applies)


def choose_qhp_terms(rows: Iterable[Mapping[str, str]]) -> QhpTerms:
    """One tier can have several rows (e.g. generic: "$0" and "$20 after deductible").

    Rule: take the row under which the member pays the most (highest copay, then highest
    coinsurance, then the one where the deductible applies). The file does not say which drugs
    each row is for, so the conservative row keeps estimates from understating the member's cost.
    """
    terms = [interpret_qhp_row(row) for row in rows]
    if not terms:
        raise ValueError("no cost-sharing rows to choose from")
    return max(terms, key=lambda t: t.rank)


def compute_qhp_cost_shares(rows: Iterable[Mapping[str, str]]) -> list[CostShareValues]:
    """One plan's QHP rows -> cost shares for our four channels.

    * retail_30 <- `1-month-in-retail`, every tier;
    * retail_90 <- `3-month-in-retail`, every tier;
    * mail_90 = retail_90: the file has no mail-order benefit type, so mail is priced like a
      90-day retail fill (a common PBM design, and what the engine falls back to anyway);
    * specialty (channel) <- the `specialty` tier's `1-month-in-retail` row only.
    Tiers outside the pharmacy benefit (`medical-service`) are skipped.
    """
    by_type_tier: dict[tuple[str, str], list[Mapping[str, str]]] = defaultdict(list)
    known_tiers = {t.value for t in Tier}
    for row in rows:
        tier = row["drug_tier"]
        if tier in known_tiers:
            by_type_tier[(row["pharmacy_benefit_type"], tier)].append(row)

    shares: list[CostShareValues] = []
    for tier in Tier:
        for benefit_type, channels in (
            (RETAIL_1_MONTH, (Channel.RETAIL_30,)),
            (RETAIL_3_MONTH, (Channel.RETAIL_90, Channel.MAIL_90)),
        ):
            tier_rows = by_type_tier.get((benefit_type, tier.value))
            if not tier_rows:
                continue
            terms = choose_qhp_terms(tier_rows)
            shares.extend(_values(tier, channel, terms) for channel in channels)
        if tier is Tier.SPECIALTY and by_type_tier.get((RETAIL_1_MONTH, tier.value)):
            terms = choose_qhp_terms(by_type_tier[(RETAIL_1_MONTH, tier.value)])
            shares.append(_values(tier, Channel.SPECIALTY, terms))
    return shares


def _values(tier: Tier, channel: Channel, terms: QhpTerms) -> CostShareValues:
    return CostShareValues(
        tier=tier.value,
        channel=channel.value,
        copay=terms.copay.quantize(Decimal("0.01")) if terms.copay is not None else None,
        coinsurance_pct=terms.coinsurance_pct,
        deductible_applies=terms.deductible_applies,
    )


_NAME_AMOUNT = re.compile(r"^\$?(\d{1,3}(?:,\d{3})+|\d+)$")


def deductible_from_marketing_name(name: str) -> Decimal | None:
    """The deductible in a plan's marketing name: the first bare amount word.

    "BlueChoice HMO HSA Silver $3,000" -> 3000; "BlueChoice HMO Gold 1000" -> 1000;
    "BluePreferred PPO Platinum 0 100%/80%" -> 0 (the "100%/80%" coinsurance word is skipped).
    None when the name carries no amount.
    """
    for word in name.split():
        match = _NAME_AMOUNT.match(word)
        if match:
            return Decimal(match.group(1).replace(",", "")).quantize(Decimal("0.01"))
    return None


@dataclass(frozen=True, slots=True)
class StandardPlanSpec:
    """Everything needed to store one commercial plan built from the QHP files."""

    source_plan_id: str
    issuer_id: str  # HIOS issuer id: the first five characters of the plan id
    product_name: str  # payer_plan_name, e.g. "BlueChoice HMO"
    marketing_name: str
    formulary_code: str
    deductible_individual: Decimal
    deductible_family: Decimal
    oop_max_individual: Decimal
    oop_max_family: Decimal
    out_of_network_covered: bool
    cost_shares: tuple[CostShareValues, ...]


def compute_qhp_plan_specs(
    *, plan_rows: Iterable[Mapping[str, str]], cost_rows: Iterable[Mapping[str, str]]
) -> list[StandardPlanSpec]:
    """Join `qhp_formulary_plans.csv` and `qhp_formulary_cost_sharing.csv` into plan specs.

    Amounts and where they come from:
    * deductible: the amount in the marketing name (`formulary_name`), e.g. "$3,000"; $0 when
      the name has none (no plan in the file today). Family = 2 x individual.
    * out-of-pocket maximum: the ACA 2024 limits, $9,450 / $18,900 (the file has none).
    * out_of_network_covered: True when the file lists out-of-network retail rows for the plan
      (then the engine prices them at in-network cost sharing, as those rows are identical).
    """
    rows_by_plan: dict[str, list[Mapping[str, str]]] = defaultdict(list)
    for row in cost_rows:
        rows_by_plan[row["plan_id"]].append(row)
    specs = []
    for plan in plan_rows:
        plan_id = plan["plan_id"]
        rows = rows_by_plan.get(plan_id, [])
        if not rows:
            continue
        deductible = deductible_from_marketing_name(plan["formulary_name"]) or Decimal("0.00")
        deductible = min(deductible, ACA_2024_OOP_MAX_INDIVIDUAL)
        specs.append(
            StandardPlanSpec(
                source_plan_id=plan_id,
                issuer_id=plan_id[:5],
                product_name=plan["payer_plan_name"],
                marketing_name=plan["formulary_name"],
                formulary_code=plan.get("formulary_id") or f"Formulary-{plan_id}",
                deductible_individual=deductible,
                deductible_family=deductible * FAMILY_DEDUCTIBLE_MULTIPLIER,
                oop_max_individual=ACA_2024_OOP_MAX_INDIVIDUAL,
                oop_max_family=ACA_2024_OOP_MAX_FAMILY,
                out_of_network_covered=any(
                    r["pharmacy_benefit_type"] in OUT_OF_NETWORK_TYPES for r in rows
                ),
                cost_shares=tuple(compute_qhp_cost_shares(rows)),
            )
        )
    return specs
