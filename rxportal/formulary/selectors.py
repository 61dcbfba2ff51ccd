"""Reads of drugs and coverage: drug search and suggestions, the drug page.

Drug search compares the query with the terms of DrugSearchName rows (one per generic
ingredient and per brand, built from Drug by services.rebuild_drug_search_index) using
pg_trgm's trigram similarity, plus a bonus for a term that starts with the query so a name
being typed ranks first (domain.compute_match_score is the same rule in Python). Each name
keeps its best term; names are ranked by that score, then by how directly the term names
them (domain.TermWeight), generic before brand, then alphabetically.

- PostgreSQL: `similarity()` and the `%` operator of pg_trgm over a GIN trigram index on the
  term, with LIKE 'query%' on a pattern-ops B-tree for prefixes. One query.
- Queries under domain.TYPO_MIN_CHARS letters match by prefix only (both databases).
- SQLite (the embedded database): no pg_trgm, so the trigrams live in DrugSearchTrigram (an
  inverted index on `trigram`): the terms sharing a trigram with the query are counted in
  SQL and similarity = shared / (query trigrams + term trigrams - shared), exactly
  pg_trgm's formula over exactly its trigrams (domain.compute_trigrams). One query too.

Why a name table rather than trigram similarity over Drug columns: a drug's full RxNorm name
("atorvastatin 40 MG Oral Tablet [Lipitor]") dilutes the similarity, a combination's
ingredient ("hydrochlorothiazide / lisinopril") needs its parts as terms, and results are
grouped by name anyway. The table is a few rows per ingredient or brand, so a query reads an
index over tens of thousands of terms at national scale, never the drug table.

Both databases compute the same numbers (pg_trgm's float4 against SQLite's double differ far
less than any two distinct similarities of names this short), so they rank alike; the tests
run on both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q

from rxportal.core import clock
from rxportal.formulary import domain
from rxportal.formulary.domain import SearchKind
from rxportal.formulary.errors import DrugNotFound
from rxportal.formulary.models import Drug, Formulary, FormularyEntry
from rxportal.members.selectors import find_member_for_user

if TYPE_CHECKING:
    from rxportal.members.models import Member
    from rxportal.plans.models import Plan
    from rxportal.pricing.selectors import FillEstimate

SUGGESTION_LIMIT = 8
SEARCH_RESULT_LIMIT = 20
# The channel of the costs shown on the drug page (the estimator offers the others).
DRUG_PAGE_CHANNEL = "retail_30"


@dataclass(frozen=True)
class DrugSuggestion:
    """A name offered while typing; choosing it opens the drug page of `public_id`."""

    kind: SearchKind
    label: str
    ingredient: str
    public_id: uuid.UUID

    @property
    def is_brand(self) -> bool:
        return self.kind == SearchKind.BRAND


@dataclass(frozen=True)
class DrugSearchGroup:
    """One generic or brand name in the results, with all its strengths and forms."""

    kind: SearchKind
    label: str
    ingredient: str
    drugs: list[Drug]

    @property
    def is_brand(self) -> bool:
        return self.kind == SearchKind.BRAND


# --- Search ---------------------------------------------------------------------------------


def list_drug_suggestions(*, query: str, limit: int = SUGGESTION_LIMIT) -> list[DrugSuggestion]:
    """The best `limit` names for what has been typed so far; [] for under 2 characters.

    One query on either database. Longer input is cut to SEARCH_QUERY_MAX_CHARS.
    """
    text = domain.normalize_search_text(query[: domain.SEARCH_QUERY_MAX_CHARS * 2])
    text = text[: domain.SEARCH_QUERY_MAX_CHARS].strip()
    if len(text) < domain.SEARCH_QUERY_MIN_CHARS or limit <= 0:
        return []
    if connection.vendor == "postgresql":
        sql, params = _ranked_names_sql_postgresql(text, limit)
    else:
        sql, params = _ranked_names_sql_trigram_table(text, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        DrugSuggestion(
            kind=SearchKind(kind),
            label=label,
            ingredient=ingredient,
            public_id=public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(public_id),
        )
        for kind, label, ingredient, public_id in rows
    ]


def search_drugs(*, query: str, limit: int = SEARCH_RESULT_LIMIT) -> list[DrugSearchGroup]:
    """The best `limit` names for the query, each with its drugs (strengths and forms) in
    dose form and strength order. Two queries: the ranking, then the names' drugs."""
    names = list_drug_suggestions(query=query, limit=limit)
    if not names:
        return []
    brands = [name.label for name in names if name.kind == SearchKind.BRAND]
    generics = [name.label for name in names if name.kind == SearchKind.GENERIC]
    drugs = Drug.objects.filter(
        Q(brand_name__in=brands)
        | (Q(brand_name="") & (Q(ingredient__in=generics) | Q(ingredient="", name__in=generics)))
    ).only("public_id", "name", "ingredient", "brand_name", "strength", "dose_form", "is_brand")
    by_key: dict[tuple[SearchKind, str], list[Drug]] = defaultdict(list)
    for drug in drugs:
        key = domain.compute_search_key(
            brand_name=drug.brand_name, ingredient=drug.ingredient, name=drug.name
        )
        by_key[key].append(drug)
    groups = []
    for name in names:
        members = sorted(by_key.get((name.kind, name.label), []), key=_strength_order)
        if members:
            groups.append(DrugSearchGroup(name.kind, name.label, name.ingredient, members))
    return groups


def _strength_order(drug: Drug) -> tuple[Any, ...]:
    return domain.compute_strength_sort_key(
        dose_form=drug.dose_form, strength=drug.strength, name=drug.name
    )


_RANK_AND_SELECT = """
ranked AS (
    SELECT search_name_id, score, weight,
           ROW_NUMBER() OVER (PARTITION BY search_name_id ORDER BY score DESC, weight) AS place
    FROM scored
)
SELECT n.kind, n.label, n.ingredient, d.public_id
FROM ranked r
JOIN formulary_drugsearchname n ON n.id = r.search_name_id
JOIN formulary_drug d ON d.id = n.drug_id
WHERE r.place = 1
ORDER BY r.score DESC, r.weight, CASE WHEN n.kind = 'generic' THEN 0 ELSE 1 END,
         n.sort_label {collate}, n.id
LIMIT %s
"""


def _ranked_names_sql_postgresql(text: str, limit: int) -> tuple[str, list[Any]]:
    # Candidates from two index scans joined by UNION (an OR of the two makes the planner
    # fall back to a sequential scan that computes similarity() on every row): `%` on the GIN
    # trigram index, LIKE 'prefix%' on the pattern-ops B-tree. The explicit similarity() bound
    # keeps the result the same if pg_trgm.similarity_threshold was lowered for the session.
    prefix = f"{text}%"  # normalized text holds no LIKE wildcards
    typos = len(text) >= domain.TYPO_MIN_CHARS
    similar = "SELECT id FROM formulary_drugsearchterm WHERE term %% %s UNION" if typos else ""
    sql = f"""
WITH candidates AS (
    {similar}
    SELECT id FROM formulary_drugsearchterm WHERE term LIKE %s
), scored AS (
    SELECT t.search_name_id, t.weight,
           similarity(t.term, %s)
             + CASE WHEN t.term LIKE %s THEN %s - t.weight ELSE 0 END AS score
    FROM candidates c JOIN formulary_drugsearchterm t ON t.id = c.id
    WHERE similarity(t.term, %s) >= %s OR t.term LIKE %s
),""" + _RANK_AND_SELECT.format(collate='COLLATE "C"')  # noqa: S608 (no input in the text)
    threshold = domain.SIMILARITY_THRESHOLD if typos else 2.0  # 2: no similarity reaches it
    params: list[Any] = [text] if typos else []
    params += [prefix, text, prefix, domain.PREFIX_BONUS, text, threshold, prefix, limit]
    return sql, params


def _ranked_names_sql_trigram_table(text: str, limit: int) -> tuple[str, list[Any]]:
    trigrams = sorted(domain.compute_trigrams(text))
    placeholders = ", ".join(["%s"] * len(trigrams))
    sql = (
        f"""
WITH shared AS (
    SELECT term_id, COUNT(*) AS shared
    FROM formulary_drugsearchtrigram
    WHERE trigram IN ({placeholders})
    GROUP BY term_id
), similar AS (
    SELECT t.search_name_id, t.weight, t.term,
           CAST(s.shared AS REAL) / (%s + t.trigram_count - s.shared) AS similarity
    FROM shared s JOIN formulary_drugsearchterm t ON t.id = s.term_id
), scored AS (
    SELECT search_name_id, weight,
           similarity + CASE WHEN substr(term, 1, %s) = %s THEN %s - weight ELSE 0 END AS score
    FROM similar
    WHERE similarity >= %s OR substr(term, 1, %s) = %s
),"""  # noqa: S608 (placeholders only)
        + _RANK_AND_SELECT.format(collate="")
    )
    params: list[Any] = [*trigrams, len(trigrams)]
    typos = len(text) >= domain.TYPO_MIN_CHARS
    threshold = domain.SIMILARITY_THRESHOLD if typos else 2.0  # 2: no similarity reaches it
    params += [len(text), text, domain.PREFIX_BONUS, threshold]
    params += [len(text), text, limit]
    return sql, params


# --- The drug page --------------------------------------------------------------------------


def get_drug(*, public_id: uuid.UUID | str) -> Drug:
    """The drug with this public id; raises DrugNotFound (also for a malformed id)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise DrugNotFound("There is no such drug.") from None
    drug = Drug.objects.filter(public_id=key).first()
    if drug is None:
        raise DrugNotFound("There is no such drug.")
    return drug


def list_other_forms(*, drug: Drug) -> list[Drug]:
    """Other strengths and forms of the same ingredient (generic and brand), generics first."""
    if not drug.ingredient:
        return []
    others = Drug.objects.filter(ingredient=drug.ingredient).exclude(pk=drug.pk)
    return sorted(
        others, key=lambda other: (other.is_brand, other.brand_name, *_strength_order(other))
    )


def find_coverage(*, formulary: Formulary | int, drug: Drug) -> FormularyEntry | None:
    """The drug's entry on this formulary (tier and rules), or None when it is not covered."""
    formulary_id = formulary if isinstance(formulary, int) else formulary.pk
    return FormularyEntry.objects.filter(formulary_id=formulary_id, drug=drug).first()


def list_cheaper_alternatives(
    *, formulary: Formulary | int, drug: Drug, entry: FormularyEntry | None = None
) -> list[FormularyEntry]:
    """Covered drugs to ask the prescriber about, cheapest tier first, each with its drug.

    For a covered drug: the entry's `alternatives` (same ingredient and dose form in a
    cheaper tier, computed at import). For a drug the formulary does not cover: every covered
    drug of the same ingredient. Pass `entry` when it is already known (saves a query).
    """
    formulary_id = formulary if isinstance(formulary, int) else formulary.pk
    if entry is None:
        entry = find_coverage(formulary=formulary_id, drug=drug)
    entries = FormularyEntry.objects.filter(formulary_id=formulary_id).select_related("drug")
    if entry is not None:
        found = list(entries.filter(drug__alternative_for=entry))
    elif drug.ingredient:
        found = list(entries.filter(drug__ingredient=drug.ingredient).exclude(drug=drug))
    else:
        found = []
    return sorted(found, key=_cheapest_first)


def _cheapest_first(entry: FormularyEntry) -> tuple[Any, ...]:
    rank = domain.tier_cost_rank(entry.tier)
    return (
        rank if rank is not None else len(domain.TIER_COST_ORDER),
        entry.drug.is_brand,
        entry.drug.ingredient,
        *_strength_order(entry.drug),
    )


@dataclass(frozen=True)
class PricedAlternative:
    entry: FormularyEntry
    estimate: FillEstimate

    @property
    def drug(self) -> Drug:
        return self.entry.drug


@dataclass(frozen=True)
class MemberCoverage:
    """The drug on the member's plan: its entry (None = not covered), what a 30-day retail
    fill would cost them, and cheaper covered alternatives with their cost."""

    member: Member
    plan: Plan
    entry: FormularyEntry | None
    estimate: FillEstimate
    alternatives: list[PricedAlternative]

    @property
    def is_covered(self) -> bool:
        return self.entry is not None


@dataclass(frozen=True)
class DrugPage:
    drug: Drug
    other_forms: list[Drug]
    # None for a visitor who is not a signed-in plan member.
    coverage: MemberCoverage | None


def get_drug_page(
    *,
    public_id: uuid.UUID | str,
    viewer: AbstractBaseUser | AnonymousUser,
    today: dt.date | None = None,
    member: Member | None = None,
) -> DrugPage:
    """Everything the drug page shows. Coverage only for a viewer who is a plan member: their
    own plan's formulary, or ``member``'s (a family member the caller has already found the
    viewer may see, as the JSON API does). Raises DrugNotFound for an unknown id."""
    drug = get_drug(public_id=public_id)
    other_forms = list_other_forms(drug=drug)
    member = member or find_member_for_user(user=viewer)
    if member is None:
        return DrugPage(drug=drug, other_forms=other_forms, coverage=None)
    # pricing.selectors reads formulary models: imported here so the two apps' selector
    # modules can never import each other at load time.
    from rxportal.pricing.selectors import estimate_fills

    when = today or clock.today()
    formulary_id = member.plan.formulary_id
    entry = find_coverage(formulary=formulary_id, drug=drug)
    alternatives = list_cheaper_alternatives(formulary=formulary_id, drug=drug, entry=entry)
    estimates = estimate_fills(
        member=member,
        drugs=[drug, *(alt.drug for alt in alternatives)],
        channel=DRUG_PAGE_CHANNEL,
        today=when,
    )
    return DrugPage(
        drug=drug,
        other_forms=other_forms,
        coverage=MemberCoverage(
            member=member,
            plan=member.plan,
            entry=entry,
            estimate=estimates[drug.pk],
            alternatives=[PricedAlternative(alt, estimates[alt.drug.pk]) for alt in alternatives],
        ),
    )
