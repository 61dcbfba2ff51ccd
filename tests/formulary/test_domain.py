"""Pure search rules: normalization, pg_trgm's trigrams and similarity, names and terms."""

from __future__ import annotations

import pytest

from rxportal.formulary import domain
from rxportal.formulary.domain import SearchableDrug, SearchKind, TermWeight


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Metformin-HCl  500", "metformin hcl 500"),
        ("  Ácido fólico ", "acido folico"),
        ("insulin, regular, human", "insulin regular human"),
        ("!!", ""),
    ],
)
def test_normalize_search_text(text: str, normalized: str) -> None:
    assert domain.normalize_search_text(text) == normalized


def test_trigrams_pad_each_word_like_pg_trgm() -> None:
    # SELECT show_trgm('cat ox') -> {"  c","  o"," ca"," ox",cat,"at ","ox "}
    assert domain.compute_trigrams("cat ox") == {"  c", " ca", "cat", "at ", "  o", " ox", "ox "}
    assert domain.compute_trigrams("a") == {"  a", " a "}
    assert domain.compute_trigrams("") == frozenset()


def test_similarity_is_shared_over_union() -> None:
    first = domain.compute_trigrams("atorvastatn")  # 12 trigrams
    second = domain.compute_trigrams("atorvastatin")  # 13 trigrams, 10 shared

    assert domain.compute_similarity(first, second) == pytest.approx(10 / 15)
    assert domain.compute_similarity(first, frozenset()) == 0.0


def test_a_prefix_outranks_any_typo_and_a_name_outranks_a_part() -> None:
    def score(query: str, term: str, weight: TermWeight) -> float | None:
        return domain.compute_match_score(query=query, term=term, weight=weight)

    typo = score("metfromin", "metformin", TermWeight.PART)
    assert typo is not None and typo < 1
    name_prefix = score("metf", "metformin hydrochloride", TermWeight.NAME)
    part_prefix = score("metf", "metformin", TermWeight.PART)
    assert name_prefix is not None and part_prefix is not None
    assert name_prefix > part_prefix > 1
    assert score("zz", "metformin", TermWeight.NAME) is None


def test_search_names_group_brands_and_generics_with_their_terms() -> None:
    drugs = [
        SearchableDrug(1, "atorvastatin 40 MG Oral Tablet [Lipitor]", "atorvastatin", "Lipitor",
                       "40 MG", "Oral Tablet"),
        SearchableDrug(2, "atorvastatin 10 MG Oral Tablet [Lipitor]", "atorvastatin", "Lipitor",
                       "10 MG", "Oral Tablet"),
        SearchableDrug(3, "Lisinopril", "lisinopril", "", "", ""),
        SearchableDrug(4, "lisinopril 20 MG Oral Tablet", "lisinopril", "", "20 MG", "Oral Tablet"),
        SearchableDrug(5, "hydrochlorothiazide 12.5 MG / lisinopril 10 MG Oral Tablet",
                       "hydrochlorothiazide / lisinopril", "", "12.5 MG / 10 MG", "Oral Tablet"),
    ]  # fmt: skip

    names = {name.label: name for name in domain.compute_search_names(drugs)}

    assert set(names) == {"Lipitor", "lisinopril", "hydrochlorothiazide / lisinopril"}
    lipitor = names["Lipitor"]
    assert (lipitor.kind, lipitor.ingredient, lipitor.drug) == (SearchKind.BRAND, "atorvastatin", 2)
    assert lipitor.terms == (("lipitor", TermWeight.NAME), ("atorvastatin", TermWeight.INGREDIENT))
    assert names["lisinopril"].drug == 4  # a strength before the ingredient-only concept
    assert names["hydrochlorothiazide / lisinopril"].terms == (
        ("hydrochlorothiazide lisinopril", TermWeight.NAME),
        ("hydrochlorothiazide", TermWeight.PART),
        ("lisinopril", TermWeight.PART),
    )


def test_strengths_sort_by_number_not_text() -> None:
    strengths = ["10 MG", "2.5 MG", "20 MG", ""]
    ordered = sorted(
        strengths,
        key=lambda s: domain.compute_strength_sort_key(dose_form="Oral Tablet", strength=s, name=s),
    )
    assert ordered == ["2.5 MG", "10 MG", "20 MG", ""]
