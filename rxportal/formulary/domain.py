"""Pure formulary rules: RxNorm name parsing, tier order, quantity limits, alternatives.

No ORM, request or settings here: importers and views call these with plain values.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class DaVinciTier(StrEnum):
    """Every drug-tier code the Da Vinci formulary data uses (ours plus `medical-service`)."""

    ZERO_COST_SHARE_PREVENTATIVE = "zero-cost-share-preventative"
    GENERIC = "generic"
    PREFERRED_GENERIC = "preferred-generic"
    PREFERRED_BRAND = "preferred-brand"
    NON_PREFERRED_BRAND = "non-preferred-brand"
    SPECIALTY = "specialty"
    # Covered under the medical benefit, not the pharmacy benefit: not a cost step we can rank.
    MEDICAL_SERVICE = "medical-service"


# Cheapest first for the member; medical-service is outside this scale.
TIER_COST_ORDER: tuple[str, ...] = (
    DaVinciTier.ZERO_COST_SHARE_PREVENTATIVE,
    DaVinciTier.GENERIC,
    DaVinciTier.PREFERRED_GENERIC,
    DaVinciTier.PREFERRED_BRAND,
    DaVinciTier.NON_PREFERRED_BRAND,
    DaVinciTier.SPECIALTY,
)


def tier_cost_rank(tier: str) -> int | None:
    """Position on the member-cost scale (0 = cheapest), or None for a tier outside it."""
    try:
        return TIER_COST_ORDER.index(tier)
    except ValueError:
        return None


# --- RxNorm names -----------------------------------------------------------------------

_BRAND = re.compile(r"\s*\[([^\[\]]+)\]\s*$")
_PACK = re.compile(r"^\{(?P<body>.*)\}\s*Pack$", re.IGNORECASE)
_PACK_PART = re.compile(r"\(([^()]*)\)")
# What RxNorm puts before the ingredient: qualifiers ("Abuse-Deterrent", "Breath-Actuated"),
# quantity factors ("0.5 ML", "12 HR", "120 ACTUAT"), and the NDA prefix of some Synthea names.
_PREFIX = re.compile(
    r"^(?:(?:NDA\d+|Abuse-Deterrent|Breath-Actuated)\s+)*"
    r"(?:\d+(?:\.\d+)?\s+(?:ML|HR|ACTUAT|CM2|DAY)\s+)*"
)
# "<ingredient> <number> <UNIT[/UNIT]> [dose form]"; the unit is upper case in RxNorm.
_COMPONENT = re.compile(
    r"^(?P<ingredient>.+?)\s+(?P<strength>\d+(?:\.\d+)?\s+[A-Z][A-Z0-9]*(?:/[A-Z][A-Z0-9]*)?)"
    r"(?:\s+(?P<rest>.*))?$"
)
_NOT_INGREDIENTS = frozenset({"inert ingredients"})
# First words of RxNorm dose forms, to split "olmesartan Oral Tablet" (a name without strength).
_DOSE_FORM_STARTS = frozenset(
    {
        "Auto-Injector", "Buccal", "Cartridge", "Chewable", "Delayed", "Disintegrating", "Drug",
        "Dry", "Effervescent", "Extended", "Granules", "Inhalation", "Injectable", "Injection",
        "Intrauterine", "Medicated", "Metered", "Mucosal", "Mucous", "Nasal", "Ophthalmic",
        "Oral", "Otic", "Pen", "Powder", "Prefilled", "Rectal", "Sublingual", "Topical",
        "Transdermal", "Vaginal",
    }
)  # fmt: skip


@dataclass(frozen=True)
class DrugName:
    """What an RxNorm SCD/SBD/pack/ingredient name says about a drug."""

    ingredient: str
    strength: str
    dose_form: str
    brand_name: str

    @property
    def is_brand(self) -> bool:
        return bool(self.brand_name)

    @property
    def is_insulin(self) -> bool:
        return "insulin" in self.ingredient


def parse_rxnorm_name(name: str) -> DrugName:
    """Split an RxNorm normalized name into ingredient(s), strength, dose form and brand.

    "atorvastatin 40 MG Oral Tablet [Lipitor]" -> atorvastatin / 40 MG / Oral Tablet / Lipitor.
    Ingredients are lower-cased (RxNorm's own style; Synthea adds capitals such as
    "oxyCODONE") so the same ingredient compares equal across sources.
    """
    text = " ".join(name.split())
    brand = ""
    if match := _BRAND.search(text):
        brand = match.group(1).strip()
        text = text[: match.start()].strip()
    if pack := _PACK.match(text):
        return DrugName(_pack_ingredients(pack.group("body")), "", "Pack", brand)
    ingredients, strengths, dose_form = _parse_clinical(text)
    return DrugName(" / ".join(ingredients), " / ".join(strengths), dose_form, brand)


def _parse_clinical(text: str) -> tuple[list[str], list[str], str]:
    text = _PREFIX.sub("", text)
    ingredients: list[str] = []
    strengths: list[str] = []
    dose_form = ""
    for part in text.split(" / "):
        match = _COMPONENT.match(part.strip())
        if match is None:  # no strength: "Aspirin", or a form-level "olmesartan Oral Tablet"
            words = part.split()
            cut = next(
                (i for i, word in enumerate(words) if i and word in _DOSE_FORM_STARTS), len(words)
            )
            ingredients.append(" ".join(words[:cut]).lower())
            dose_form = " ".join(words[cut:])
            continue
        ingredients.append(match.group("ingredient").strip().lower())
        strengths.append(match.group("strength"))
        dose_form = (match.group("rest") or "").strip()
    return ingredients, strengths, dose_form


def _pack_ingredients(body: str) -> str:
    """Ingredients of every drug in a pack, first appearance first, placebo tablets left out."""
    found: list[str] = []
    for part in _PACK_PART.findall(body):
        if not _COMPONENT.match(_PREFIX.sub("", part.strip())):
            continue  # a volume such as "(2000 ML)", not a drug
        for ingredient in _parse_clinical(part)[0]:
            if ingredient not in _NOT_INGREDIENTS and ingredient not in found:
                found.append(ingredient)
    return " / ".join(found)


# --- Therapeutic class ------------------------------------------------------------------

# Coarse classes by ingredient word, checked in this order so a combination gets its more
# specific class (ezetimibe / simvastatin -> statin, hydrochlorothiazide / lisinopril -> ACE
# inhibitor). Unknown ingredients stay unclassified rather than guessed.
THERAPEUTIC_CLASSES: tuple[tuple[str, frozenset[str]], ...] = (
    ("Insulin", frozenset({"insulin"})),
    (
        "Statin",
        frozenset(
            {
                "atorvastatin",
                "fluvastatin",
                "lovastatin",
                "pitavastatin",
                "pravastatin",
                "rosuvastatin",
                "simvastatin",
            }
        ),
    ),
    (
        "ACE inhibitor",
        frozenset(
            {
                "benazepril",
                "captopril",
                "enalapril",
                "fosinopril",
                "lisinopril",
                "moexipril",
                "perindopril",
                "quinapril",
                "ramipril",
                "trandolapril",
            }
        ),
    ),
    (
        "Angiotensin II receptor blocker",
        frozenset(
            {
                "azilsartan",
                "candesartan",
                "irbesartan",
                "losartan",
                "olmesartan",
                "telmisartan",
                "valsartan",
            }
        ),
    ),
    (
        "Beta blocker",
        frozenset(
            {
                "atenolol",
                "bisoprolol",
                "carvedilol",
                "labetalol",
                "metoprolol",
                "nadolol",
                "nebivolol",
                "propranolol",
            }
        ),
    ),
    (
        "Calcium channel blocker",
        frozenset({"amlodipine", "diltiazem", "felodipine", "nifedipine", "verapamil"}),
    ),
    (
        "SSRI",
        frozenset(
            {"citalopram", "escitalopram", "fluoxetine", "fluvoxamine", "paroxetine", "sertraline"}
        ),
    ),
    ("SNRI", frozenset({"desvenlafaxine", "duloxetine", "levomilnacipran", "venlafaxine"})),
    (
        "Anticoagulant",
        frozenset({"apixaban", "dabigatran", "edoxaban", "enoxaparin", "rivaroxaban", "warfarin"}),
    ),
    ("Antiplatelet", frozenset({"clopidogrel", "prasugrel", "ticagrelor"})),
    ("Biguanide", frozenset({"metformin"})),
    ("DPP-4 inhibitor", frozenset({"alogliptin", "linagliptin", "saxagliptin", "sitagliptin"})),
    (
        "Proton pump inhibitor",
        frozenset(
            {"dexlansoprazole", "esomeprazole", "lansoprazole", "omeprazole", "pantoprazole"}
        ),
    ),
    (
        "Opioid analgesic",
        frozenset(
            {
                "fentanyl",
                "hydrocodone",
                "hydromorphone",
                "methadone",
                "morphine",
                "oxycodone",
                "tapentadol",
                "tramadol",
            }
        ),
    ),
    ("Thiazide diuretic", frozenset({"chlorthalidone", "hydrochlorothiazide"})),
)


def compute_therapeutic_class(ingredient: str) -> str:
    """The first class in THERAPEUTIC_CLASSES matching a word of the ingredient; '' if none."""
    words = set(re.findall(r"[a-z0-9]+", ingredient.lower()))
    for label, keywords in THERAPEUTIC_CLASSES:
        if words & keywords:
            return label
    return ""


# --- Coverage rules ---------------------------------------------------------------------

_ROLLING = re.compile(r"^Rolling:count=(?P<count>\d+)/period=(?P<days>\d+)d$")


@dataclass(frozen=True)
class QuantityLimit:
    amount: int
    days: int


def parse_rolling_quantity_limit(detail: str) -> QuantityLimit | None:
    """The `Rolling:count=15/period=30d` part of a Da Vinci limit detail, if there is one.

    Other parts (MaximumDaily, DaysSupply) stay in the raw text only. Raises ValueError for a
    Rolling part in a shape we do not understand rather than guessing at it.
    """
    for part in detail.split(";"):
        part = part.strip()
        if not part.startswith("Rolling:"):
            continue
        match = _ROLLING.match(part)
        if match is None:
            raise ValueError(f"cannot read the Rolling limit {part!r}")
        return QuantityLimit(amount=int(match.group("count")), days=int(match.group("days")))
    return None


_MAIL_BENEFITS = frozenset(
    {"1-month-in-mail", "1-month-out-mail", "3-month-in-mail", "3-month-out-mail"}
)


def is_mail_eligible(*, tier: str, benefit_types: Iterable[str]) -> bool:
    """Whether a drug can be filled by our mail-order pharmacy.

    An explicit Da Vinci mail benefit type decides it. Otherwise a 90-day retail benefit
    (`3-month-in-retail`) marks a maintenance drug that mail order serves, except specialty
    drugs (dispensed by a specialty pharmacy) and medical-benefit drugs (not dispensed by us).
    """
    types = set(benefit_types)
    if types & _MAIL_BENEFITS:
        return True
    if tier in (DaVinciTier.SPECIALTY, DaVinciTier.MEDICAL_SERVICE):
        return False
    return "3-month-in-retail" in types


@dataclass(frozen=True)
class EntryFacts:
    """One formulary entry as the alternatives rule sees it."""

    entry: Hashable
    drug: Hashable
    ingredient: str
    dose_form: str
    tier: str


def compute_cheaper_alternatives(
    entries: Iterable[EntryFacts],
) -> dict[Hashable, set[Hashable]]:
    """For entries of ONE formulary: the other drugs with the same ingredient and dose form
    in a cheaper tier (any strength).

    The dose form must match too: on ingredient alone the real data offers hydrocortisone
    ointment for a Solu-Cortef injection. Entries without an ingredient or with a tier outside
    TIER_COST_ORDER get none and are offered to none. Only entries with alternatives appear.
    """
    by_ingredient: dict[tuple[str, str], list[tuple[EntryFacts, int]]] = defaultdict(list)
    for facts in entries:
        rank = tier_cost_rank(facts.tier)
        if facts.ingredient and rank is not None:
            by_ingredient[(facts.ingredient, facts.dose_form)].append((facts, rank))
    result: dict[Hashable, set[Hashable]] = {}
    for group in by_ingredient.values():
        for facts, rank in group:
            cheaper = {
                other.drug
                for other, other_rank in group
                if other_rank < rank and other.drug != facts.drug
            }
            if cheaper:
                result[facts.entry] = cheaper
    return result


# --- Unit costs -------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitCost:
    """Synthea's triangular price per dispense unit: minimum, most likely, maximum (USD)."""

    minimum: Decimal
    mode: Decimal
    maximum: Decimal

    @property
    def is_ordered(self) -> bool:
        return self.minimum <= self.mode <= self.maximum

    def ordered(self) -> UnitCost:
        """The same three published numbers sorted, so min <= mode <= max always holds.

        The source has a row whose mode exceeds its max (a typo we cannot resolve); sorting
        keeps every number it published instead of guessing which one is wrong.
        """
        low, middle, high = sorted((self.minimum, self.mode, self.maximum))
        return UnitCost(low, middle, high)


def prefer_unit_cost(current: UnitCost, other: UnitCost) -> UnitCost:
    """Which of two price rows for one code to keep: the higher mode (then the higher max).

    Overstating a drug's cost in an estimate is the safer error for a member than
    understating it, and the choice does not depend on row order.
    """
    return max(current, other, key=lambda cost: (cost.mode, cost.maximum))
