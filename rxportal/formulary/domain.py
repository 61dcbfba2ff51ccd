"""Pure formulary rules: RxNorm name parsing, tier order, quantity limits, alternatives,
and the names and trigram similarity of drug search.

No ORM, request or settings here: importers and views call these with plain values.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any


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


def _split_brand(name: str) -> tuple[str, str]:
    """An RxNorm name without its "[Brand]" suffix, and the brand ("" for a generic)."""
    text = " ".join(name.split())
    if match := _BRAND.search(text):
        return text[: match.start()].strip(), match.group(1).strip()
    return text, ""


def parse_rxnorm_name(name: str) -> DrugName:
    """Split an RxNorm normalized name into ingredient(s), strength, dose form and brand.

    "atorvastatin 40 MG Oral Tablet [Lipitor]" -> atorvastatin / 40 MG / Oral Tablet / Lipitor.
    Ingredients are lower-cased (RxNorm's own style; Synthea adds capitals such as
    "oxyCODONE") so the same ingredient compares equal across sources.
    """
    text, brand = _split_brand(name)
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


# --- Readable names ---------------------------------------------------------------------

# Members read drug names in lists, headings and messages (cards wrap them, also at 360 px).
# A name we cannot parse is cut to this length; a parsed one keeps every strength, duration
# and amount, so a long combination (four amphetamine salts, a multivitamin) may read longer,
# never longer than its RxNorm name (the drug page keeps that full name).
DISPLAY_NAME_MAX_LENGTH = 140
# One drug of a pack: "28 (norethindrone 0.35 MG Oral Tablet)", or with a volume
# "2 (480 ML) (magnesium sulfate 0.0277 MEQ/ML / ... Oral Solution)".
_PACK_DRUG = re.compile(r"(?P<count>\d+)\s+(?:\((?P<volume>[^()]*)\)\s+)?\((?P<drug>[^()]*)\)")
_ELLIPSIS = "\u2026"
# An amount a name starts with: a release duration ("12 HR"), or what tells two products
# apart, a syringe's volume or an inhaler's number of puffs ("0.4 ML", "200 ACTUAT").
_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s+(?:ML|HR|ACTUAT|CM2|DAY)\b")


@functools.lru_cache(maxsize=4096)
def compute_display_name(name: str) -> str:
    """A short, readable name for an RxNorm SCD/SBD/GPCK/BPCK name: brand (else ingredients),
    strength and dose form, and for a pack what is in it and how many.

    "atorvastatin 40 MG Oral Tablet [Lipitor]" -> "Lipitor 40 MG Oral Tablet";
    "{28 (norethindrone 0.35 MG Oral Tablet) } Pack [Errin 28 Day]"
    -> "Errin 28 Day (norethindrone 0.35 MG Oral Tablet, pack of 28)".
    Only words of the name itself are used (nothing is invented), and never is a strength,
    a release duration ("12 HR") or an amount ("0.4 ML", "120 ACTUAT") left out: a member
    must not be misled about strength or release, and two products never read alike. Only
    a name we cannot parse is cut to DISPLAY_NAME_MAX_LENGTH, marked by an ellipsis. A generic name
    starts with a capital ("Atorvastatin 40 MG Oral Tablet") as a title does; a brand is
    written as its owner writes it.
    """
    text, brand = _split_brand(name)
    if pack := _PACK.match(text):
        readable = _pack_display_name(pack.group("body"), brand)
    else:
        readable = _clinical_display_name(text, brand)
    return readable if brand else readable[:1].upper() + readable[1:]


def _clinical_display_name(text: str, brand: str) -> str:
    components, dose_form = _clinical_components(text)
    if not components:
        return _shorten(_strip_brackets(brand or text))
    durations, quantities = _amounts(text)
    form = _join(*durations, dose_form)  # "12 HR Extended Release Oral Tablet"
    return _clinical_name(components, form, brand) + "".join(f", {q}" for q in quantities)


def _amounts(text: str) -> tuple[list[str], list[str]]:
    """What a name says before its ingredient: release durations ("12 HR") and the amounts
    that tell products apart ("0.4 ML", "120 ACTUAT"). Neither is ever left out."""
    prefix = _PREFIX.match(text)
    durations: list[str] = []
    quantities: list[str] = []
    for amount in _AMOUNT.findall(prefix.group(0) if prefix else ""):
        (durations if amount.endswith(" HR") else quantities).append(amount)
    return durations, quantities


def _clinical_components(text: str) -> tuple[list[tuple[str, str]], str]:
    ingredients, strengths, dose_form = _parse_clinical(text)
    if len(strengths) != len(ingredients):  # a form-level name without strengths
        strengths = [""] * len(ingredients)
    components = [
        (ingredient, strength)
        for ingredient, strength in zip(ingredients, strengths, strict=True)
        if ingredient
    ]
    return components, dose_form


def _clinical_name(components: list[tuple[str, str]], dose_form: str, brand: str) -> str:
    """Each ingredient with its strength, then the dose form; a brand stands for its
    ingredients but not for their strengths. Never shortened: a member must not be misled
    about how strong a drug is, so a long combination reads long (cards wrap it)."""
    strengths = " / ".join(strength for _, strength in components if strength)
    if brand:
        return _join(brand, strengths, dose_form)
    return _join(" / ".join(_join(i, s) for i, s in components), dose_form)


def _pack_display_name(body: str, brand: str) -> str:
    """ "Errin 28 Day (norethindrone 0.35 MG Oral Tablet, pack of 28)"; a pack of several
    drugs names their ingredients with every strength (an ingredient's strengths written
    once each: "norgestimate 0.18, 0.215, 0.25 MG"), and their dose form when they share
    one; a volume ("480 ML") is said before the pack size."""
    count = 0
    drugs: list[str] = []
    volumes: list[str] = []
    for match in _PACK_DRUG.finditer(body):
        count += int(match.group("count"))
        drug = match.group("drug").strip()
        if drug not in drugs:
            drugs.append(drug)
        if (volume := match.group("volume")) and volume not in volumes:
            volumes.append(volume)
    active = [drug for drug in drugs if not _is_placebo(drug)]
    if len(active) == 1:
        components, dose_form = _clinical_components(active[0])
        durations, quantities = _amounts(active[0])
        content = _clinical_name(components, _join(*durations, dose_form), "")
        volumes += [q for q in quantities if q not in volumes]
    else:
        strengths: dict[str, list[str]] = {}
        forms: set[str] = set()
        for drug in active:
            components, dose_form = _clinical_components(drug)
            forms.add(_join(*_amounts(drug)[0], dose_form))
            for ingredient, strength in components:
                found = strengths.setdefault(ingredient, [])
                if strength and strength not in found:
                    found.append(strength)
        form = forms.pop() if len(forms) == 1 else ""
        content = _join(" / ".join(_join(i, _strengths(s)) for i, s in strengths.items()), form)
    size = ", ".join([*volumes, f"pack of {count}" if count else "pack"])
    return f"{brand} ({content}, {size})" if brand else f"{content}, {size}"


def _strengths(strengths: list[str]) -> str:
    """ "0.18 MG, 0.215 MG, 0.25 MG" reads "0.18, 0.215, 0.25 MG" when they share a unit."""
    units = {strength.split(" ", 1)[1] for strength in strengths}
    if len(units) != 1:
        return ", ".join(strengths)
    return f"{', '.join(strength.split(' ', 1)[0] for strength in strengths)} {units.pop()}"


def _is_placebo(drug: str) -> bool:
    ingredients = _parse_clinical(drug)[0]
    return bool(ingredients) and all(i in _NOT_INGREDIENTS for i in ingredients)


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _strip_brackets(text: str) -> str:
    return " ".join(text.translate(str.maketrans("{}[]", "    ")).split())


def _shorten(text: str) -> str:
    """Cut at a word boundary to DISPLAY_NAME_MAX_LENGTH, an ellipsis saying so."""
    if len(text) <= DISPLAY_NAME_MAX_LENGTH:
        return text
    cut = text[: DISPLAY_NAME_MAX_LENGTH - 2].rsplit(" ", 1)[0].rstrip(" /,(")
    return f"{cut} {_ELLIPSIS}"


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


# --- Drug search ------------------------------------------------------------------------
#
# Members search by a generic (ingredient) or brand name. Each such name is one search
# "name" standing for all its strengths and forms; its terms (the whole name, and for a
# combination or a several-word name its parts) are what a query is compared with.
# Similarity is pg_trgm's, computed here exactly as PostgreSQL does for the normalized text
# (lower-case ASCII letters and digits separated by single spaces), so both databases rank
# alike: see formulary.selectors.

SEARCH_QUERY_MIN_CHARS = 2
SEARCH_QUERY_MAX_CHARS = 80
# pg_trgm's default `pg_trgm.similarity_threshold`: the `%` operator keeps terms at or above it.
SIMILARITY_THRESHOLD = 0.3
# Shorter queries match by prefix only: 2 or 3 letters share too few trigrams with a name
# to tell a typo from chance, and the prefix scan is what the first keystrokes need.
TYPO_MIN_CHARS = 4
# A term that starts with the query (a name being typed) ranks above every typo match:
# its score gets PREFIX_BONUS minus its weight (3 for the name itself, 1 for a part).
PREFIX_BONUS = 3
# Shortest word of a name that becomes a term of its own ("acid", not "of").
_MIN_WORD_TERM_CHARS = 4
_SEARCH_WORDS = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class SearchKind(StrEnum):
    GENERIC = "generic"
    BRAND = "brand"


class TermWeight(IntEnum):
    """How directly a term names its search name; the lower wins a tie in similarity."""

    NAME = 0  # the name itself: "atorvastatin", "Lipitor"
    INGREDIENT = 1  # a brand's generic name: "atorvastatin" for Lipitor
    PART = 2  # one ingredient of a combination, or one word of a longer name


def normalize_search_text(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: accents dropped, punctuation a space.

    "Metformin-HCl  500" -> "metformin hcl 500". Stored terms and queries both go through
    this, so pg_trgm's own word splitting and case folding have nothing left to do.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_SEARCH_WORDS.findall(without_marks.lower()))


def compute_trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigram set of normalized text: each word padded with two spaces in front
    and one behind ("  a", " at", ..., "in ")."""
    trigrams: set[str] = set()
    for word in text.split():
        padded = f"  {word} "
        trigrams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(trigrams)


def compute_similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """pg_trgm's `similarity()`: shared trigrams over all distinct trigrams of both."""
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared)


def compute_match_score(*, query: str, term: str, weight: TermWeight) -> float | None:
    """A term's score for a normalized query, or None when the term does not match.

    The selectors compute the same in SQL. A term matches when it starts with the query or,
    for a query of TYPO_MIN_CHARS or more, when its similarity is at least
    SIMILARITY_THRESHOLD. A prefix adds PREFIX_BONUS - weight, so
    "metf" ranks the generic "metformin hydrochloride" above the brand Janumet (which has
    metformin as one of its parts) and both above any misspelling.
    """
    similarity = compute_similarity(compute_trigrams(query), compute_trigrams(term))
    is_prefix = term.startswith(query)
    is_similar = len(query) >= TYPO_MIN_CHARS and similarity >= SIMILARITY_THRESHOLD
    if not (is_prefix or is_similar):
        return None
    return similarity + (PREFIX_BONUS - weight if is_prefix else 0)


@dataclass(frozen=True)
class SearchableDrug:
    """One drug as the search index sees it."""

    drug: Hashable
    name: str
    ingredient: str
    brand_name: str
    strength: str
    dose_form: str


@dataclass(frozen=True)
class SearchName:
    """A generic or brand name with its terms and the drug a suggestion for it opens."""

    kind: SearchKind
    label: str
    ingredient: str
    drug: Hashable
    terms: tuple[tuple[str, TermWeight], ...]

    @property
    def sort_label(self) -> str:
        return normalize_search_text(self.label)


def compute_search_key(*, brand_name: str, ingredient: str, name: str) -> tuple[SearchKind, str]:
    """Which search name a drug belongs to: its brand, else its ingredient (else its name)."""
    if brand_name:
        return SearchKind.BRAND, brand_name
    return SearchKind.GENERIC, ingredient or name


def compute_strength_sort_key(*, dose_form: str, strength: str, name: str) -> tuple[Any, ...]:
    """Strengths in numeric order within a dose form: 2.5 MG, 10 MG, 20 MG (not 10, 2.5, 20);
    an ingredient-only concept without a strength ("Lisinopril") last."""
    numbers = tuple(Decimal(number) for number in _NUMBER.findall(strength))
    return (not strength, dose_form.lower(), numbers, strength, name)


def compute_search_names(drugs: Iterable[SearchableDrug]) -> list[SearchName]:
    """One SearchName per brand and per generic ingredient, in label order.

    The drug a suggestion opens is the group's first by dose form and strength (a drug with
    a strength before an ingredient-only RxNorm concept such as "Lisinopril").
    """
    groups: dict[tuple[SearchKind, str], list[SearchableDrug]] = defaultdict(list)
    for drug in drugs:
        key = compute_search_key(
            brand_name=drug.brand_name, ingredient=drug.ingredient, name=drug.name
        )
        groups[key].append(drug)
    names = []
    for (kind, label), members in groups.items():
        first = min(
            members,
            key=lambda d: compute_strength_sort_key(
                dose_form=d.dose_form, strength=d.strength, name=d.name
            ),
        )
        terms = _terms_for(kind, label, first.ingredient)
        if terms:
            names.append(SearchName(kind, label, first.ingredient, first.drug, terms))
    names.sort(key=lambda n: (n.sort_label, n.kind, n.label))
    return names


def _terms_for(kind: SearchKind, label: str, ingredient: str) -> tuple[tuple[str, TermWeight], ...]:
    weights: dict[str, TermWeight] = {}

    def add(text: str, weight: TermWeight) -> None:
        term = normalize_search_text(text)
        if term and (term not in weights or weight < weights[term]):
            weights[term] = weight

    add(label, TermWeight.NAME)
    if kind == SearchKind.BRAND and ingredient:
        add(ingredient, TermWeight.INGREDIENT)
    for text in {label, ingredient} if kind == SearchKind.BRAND else {label}:
        for part in text.split(" / "):
            add(part, TermWeight.PART)
        for word in normalize_search_text(text).split():
            if len(word) >= _MIN_WORD_TERM_CHARS and not word.isdigit():
                add(word, TermWeight.PART)
    return tuple(sorted(weights.items(), key=lambda item: (item[1], item[0])))


# --- Formulary changes ------------------------------------------------------------------
# A PBM announces a change that makes a covered drug harder or dearer to get (a higher tier, a
# new prior authorization or step therapy, removal) at least CHANGE_NOTICE_DAYS before it takes
# effect, so members can talk to their prescriber first. A safety withdrawal (a drug pulled
# from the market) is the one exception: it takes effect at once. Changes that make a drug
# easier to get (a lower tier, a rule dropped, a new drug) need no notice.

CHANGE_NOTICE_DAYS = 30


class ChangeKind(StrEnum):
    TIER_UP = "tier_up"
    TIER_DOWN = "tier_down"
    PRIOR_AUTHORIZATION_ADDED = "prior_authorization_added"
    STEP_THERAPY_ADDED = "step_therapy_added"
    REMOVED = "removed"


# The kinds members must hear about in advance (TIER_DOWN is good news and takes effect now).
ADVERSE_CHANGE_KINDS = frozenset(
    {
        ChangeKind.TIER_UP,
        ChangeKind.PRIOR_AUTHORIZATION_ADDED,
        ChangeKind.STEP_THERAPY_ADDED,
        ChangeKind.REMOVED,
    }
)


@dataclass(frozen=True)
class CoverageState:
    """What the alert rules compare of one formulary entry."""

    tier: str
    prior_authorization: bool = False
    step_therapy: bool = False


@dataclass(frozen=True)
class EntryChange:
    """One drug's coverage before and after an import (after None: removed)."""

    drug: Hashable
    before: CoverageState
    after: CoverageState | None
    kinds: tuple[ChangeKind, ...]

    @property
    def is_adverse(self) -> bool:
        return any(kind in ADVERSE_CHANGE_KINDS for kind in self.kinds)


def compute_entry_change(
    drug: Hashable, before: CoverageState | None, after: CoverageState | None
) -> EntryChange | None:
    """How one drug's coverage moved; None when it did not in a way members are told about
    (a new drug, an unchanged entry, a quantity-limit edit)."""
    if before is None:
        return None
    found: list[ChangeKind] = []
    if after is None:
        found.append(ChangeKind.REMOVED)
    else:
        old_rank, new_rank = tier_cost_rank(before.tier), tier_cost_rank(after.tier)
        if before.tier != after.tier:
            # A tier outside the cost scale (medical-service) counts as a move up: the member
            # can no longer fill it at a pharmacy as before.
            if old_rank is not None and new_rank is not None and new_rank < old_rank:
                found.append(ChangeKind.TIER_DOWN)
            else:
                found.append(ChangeKind.TIER_UP)
        if after.prior_authorization and not before.prior_authorization:
            found.append(ChangeKind.PRIOR_AUTHORIZATION_ADDED)
        if after.step_therapy and not before.step_therapy:
            found.append(ChangeKind.STEP_THERAPY_ADDED)
    if not found:
        return None
    return EntryChange(drug=drug, before=before, after=after, kinds=tuple(found))


def compute_formulary_changes(
    before: dict[Any, CoverageState], after: dict[Any, CoverageState]
) -> list[EntryChange]:
    """Every drug of one formulary whose coverage moved between two snapshots (by drug key),
    in key order."""
    changes = []
    for drug in sorted(before, key=str):
        change = compute_entry_change(drug, before[drug], after.get(drug))
        if change is not None:
            changes.append(change)
    return changes


def earliest_effective_date(*, announced_on: dt.date) -> dt.date:
    """The first day an adverse change announced on `announced_on` may take effect."""
    return announced_on + dt.timedelta(days=CHANGE_NOTICE_DAYS)


def compute_effective_date(
    *, announced_on: dt.date, requested: dt.date | None, safety_withdrawal: bool = False
) -> dt.date:
    """When an adverse change announced today takes effect: the date asked for, or the
    earliest allowed by default; a safety withdrawal takes effect the day it is announced.

    Raises ChangeNoticeTooShort for a date less than CHANGE_NOTICE_DAYS away: the importer
    refuses the file rather than quietly moving the date the plan asked for.
    """
    if safety_withdrawal:
        return announced_on
    earliest = earliest_effective_date(announced_on=announced_on)
    if requested is None:
        return earliest
    if requested < earliest:
        raise ChangeNoticeTooShort(requested=requested, earliest=earliest)
    return requested


class ChangeNoticeTooShort(ValueError):
    def __init__(self, *, requested: dt.date, earliest: dt.date) -> None:
        super().__init__(
            f"a change that limits coverage takes effect {CHANGE_NOTICE_DAYS} days after it is "
            f"announced at the earliest: {earliest.isoformat()}, not {requested.isoformat()}"
        )
        self.requested = requested
        self.earliest = earliest


# --- DEA schedule (Controlled Substances Act) ---------------------------------------------


class DeaSchedule(StrEnum):
    """A drug's schedule under the Controlled Substances Act (21 CFR 1308.11-.15); "" when it
    is not controlled. Same values as models.DeaSchedule."""

    NONE = ""
    CI = "CI"
    CII = "CII"
    CIII = "CIII"
    CIV = "CIV"
    CV = "CV"

    @property
    def strictness(self) -> int:
        """CI 5 ... CV 1, not controlled 0: a combination takes its strictest ingredient's."""
        return _STRICTNESS[self]


_STRICTNESS = {
    DeaSchedule.NONE: 0,
    DeaSchedule.CV: 1,
    DeaSchedule.CIV: 2,
    DeaSchedule.CIII: 3,
    DeaSchedule.CII: 4,
    DeaSchedule.CI: 5,
}
_STRENGTH = re.compile(
    r"^(?P<amount>\d+(?:\.\d+)?)\s+(?P<unit>[A-Z][A-Z0-9]*(?:/[A-Z][A-Z0-9]*)?)$"
)


@dataclass(frozen=True)
class Strength:
    """An RxNorm strength: "90 MG" (per dosage unit) or "18 MG/ML" (per millilitre)."""

    amount: Decimal
    unit: str

    @classmethod
    def parse(cls, text: str) -> Strength | None:
        match = _STRENGTH.match(" ".join(text.split()))
        if match is None:
            return None
        return cls(Decimal(match.group("amount")), match.group("unit"))

    def at_most(self, limit: Strength) -> bool:
        return self.unit == limit.unit and self.amount <= limit.amount

    def at_least(self, floor: Strength) -> bool:
        return self.unit == floor.unit and self.amount >= floor.amount


@dataclass(frozen=True)
class ControlledSubstanceRule:
    """One row of data/reference/dea_controlled_substances.csv.

    ``ingredient`` is the RxNorm ingredient (the active moiety, "oxycodone"); it also matches
    its salts as RxNorm names them ("oxycodone hydrochloride"), as the schedules cover salts.
    A row without ``max_strength`` is the substance's schedule. A row with one is a limited
    preparation the law puts in a lower schedule: it applies when the drug holds at most that
    much of the substance (in the same unit), together with ``with_ingredient`` (at least
    ``with_min_strength`` of it), or, when ``with_ingredient`` is empty, with another active
    ingredient that is not itself controlled (the law's "nonnarcotic active ingredient").
    """

    ingredient: str
    schedule: DeaSchedule
    max_strength: Strength | None = None
    with_ingredient: str = ""
    with_min_strength: Strength | None = None
    cfr_section: str = ""

    def names(self, ingredient: str) -> bool:
        return _is_moiety(self.ingredient, ingredient)


def _is_moiety(moiety: str, ingredient: str) -> bool:
    """ "codeine" names "codeine phosphate", never "dihydrocodeine"."""
    return ingredient == moiety or ingredient.startswith(moiety + " ")


@dataclass(frozen=True)
class _Component:
    ingredient: str
    strength: Strength | None


def _products(name: str) -> list[list[_Component]]:
    """The drug's products (a pack has several), each a list of its ingredients and strengths."""
    text = " ".join(name.split())
    if match := _BRAND.search(text):
        text = text[: match.start()].strip()
    if pack := _PACK.match(text):
        parts = [p for p in _PACK_PART.findall(pack.group("body")) if p.strip()]
    else:
        parts = [text]
    products = []
    for part in parts:
        components = []
        for piece in _PREFIX.sub("", part.strip()).split(" / "):
            match = _COMPONENT.match(piece.strip())
            if match is None:
                components.append(_Component(piece.strip().lower(), None))
            else:
                components.append(
                    _Component(
                        match.group("ingredient").strip().lower(),
                        Strength.parse(match.group("strength")),
                    )
                )
        products.append(components)
    return products


def compute_dea_schedule(*, name: str, rules: Iterable[ControlledSubstanceRule]) -> DeaSchedule:
    """The schedule of a drug from its RxNorm name: the strictest of its ingredients'.

    Each controlled ingredient takes its substance's schedule, or the lowest schedule of a
    limited-preparation row it meets (acetaminophen 300 MG / codeine 15 MG is CIII, codeine
    alone CII; diphenoxylate 2.5 MG with atropine sulfate 0.025 MG is CV). The law measures the
    limits as the free base; the names give the salt, which weighs more, so a salt within a
    limit is within it as base too (a salt just over a limit keeps the stricter schedule).
    """
    rules = list(rules)
    schedule = DeaSchedule.NONE
    for components in _products(name):
        for component in components:
            found = _component_schedule(component, components, rules)
            if found.strictness > schedule.strictness:
                schedule = found
    return schedule


def _component_schedule(
    component: _Component, product: list[_Component], rules: list[ControlledSubstanceRule]
) -> DeaSchedule:
    own = [rule for rule in rules if rule.names(component.ingredient)]
    base = [rule for rule in own if rule.max_strength is None]
    if not base:
        return DeaSchedule.NONE
    schedule = max((rule.schedule for rule in base), key=lambda s: s.strictness)
    others = [other for other in product if other is not component]
    for rule in own:
        if rule.max_strength is None or component.strength is None:
            continue
        if not component.strength.at_most(rule.max_strength):
            continue
        if not any(_is_partner(rule, other, rules) for other in others):
            continue
        if rule.schedule.strictness < schedule.strictness:
            schedule = rule.schedule
    return schedule


def _is_partner(
    rule: ControlledSubstanceRule, other: _Component, rules: list[ControlledSubstanceRule]
) -> bool:
    if rule.with_ingredient:
        if not _is_moiety(rule.with_ingredient, other.ingredient):
            return False
        if rule.with_min_strength is None:
            return True
        return other.strength is not None and other.strength.at_least(rule.with_min_strength)
    return not any(r.names(other.ingredient) for r in rules)
