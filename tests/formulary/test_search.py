"""Drug search and suggestions: typos, brand vs generic, bad input, one query, both databases.

Run on SQLite (trigram table) and PostgreSQL (pg_trgm): the expected rankings below are the
same for both, which is the point.
"""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from rxportal.formulary import domain
from rxportal.formulary.models import Drug, DrugSearchName, DrugSearchTerm, DrugSearchTrigram
from rxportal.formulary.selectors import list_drug_suggestions, search_drugs
from rxportal.formulary.services import rebuild_drug_search_index
from tests.formulary.conftest import make_drug

pytestmark = pytest.mark.django_db


def labels(query: str, limit: int = 8) -> list[str]:
    return [suggestion.label for suggestion in list_drug_suggestions(query=query, limit=limit)]


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    main = body.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("atorvastatn", "atorvastatin"),  # a letter left out
        ("atrovastatin", "atorvastatin"),  # two letters swapped
        ("metfromin", "metformin hydrochloride"),
        ("lipitor", "Lipitor"),  # the brand itself, not its generic
        ("LIPITOR", "Lipitor"),
        ("lipitr", "Lipitor"),
        ("xarleto", "Xarelto"),
        ("lisinopril", "lisinopril"),
        ("amox", "amoxicillin"),  # still typing
        ("Metformin-HCl", "metformin hydrochloride"),
    ],
)
def test_typos_and_prefixes_rank_the_intended_name_first(
    drugs: dict[str, Drug], query: str, first: str
) -> None:
    assert labels(query)[0] == first


def test_a_generic_name_lists_the_generic_then_its_brand(drugs: dict[str, Drug]) -> None:
    assert labels("atorvastatin")[:2] == ["atorvastatin", "Lipitor"]


def test_an_ingredient_of_a_combination_finds_the_combination_after_the_single_drug(
    drugs: dict[str, Drug],
) -> None:
    assert labels("lisinopril")[:3] == ["lisinopril", "Qbrelis", "hydrochlorothiazide / lisinopril"]
    assert labels("metformin")[:2] == ["metformin hydrochloride", "Janumet"]


def test_the_full_ranking_is_the_same_on_every_database(drugs: dict[str, Drug]) -> None:
    # Whole lists, not just the first name: ties broken by weight, generic first, then name.
    assert labels("statin") == ["simvastatin", "lovastatin", "atorvastatin", "Lipitor"]
    assert labels("vastatin") == ["lovastatin", "simvastatin", "atorvastatin", "Lipitor"]
    assert labels("hydro") == [
        "hydrochlorothiazide / lisinopril",
        "metformin hydrochloride",
        "Janumet",
    ]
    assert labels("li") == ["Lipitor", "lisinopril", "Qbrelis", "hydrochlorothiazide / lisinopril"]
    assert labels("atorvastatn") == ["atorvastatin", "Lipitor"]
    assert labels("zzzz") == []


def test_the_ranking_equals_the_python_rule(drugs: dict[str, Drug]) -> None:
    """domain.compute_match_score, applied to every stored term, ranks as the SQL does."""
    terms = DrugSearchTerm.objects.select_related("search_name")
    for query in ("atorvastatn", "metfromin", "li", "lisinopril", "hydro", "statin"):
        best: dict[int, tuple[float, int, int, str]] = {}
        for term in terms:
            score = domain.compute_match_score(
                query=query, term=term.term, weight=domain.TermWeight(term.weight)
            )
            if score is None:
                continue
            name = term.search_name
            key = (-score, term.weight, 0 if name.kind == "generic" else 1, name.sort_label)
            if name.pk not in best or key < best[name.pk]:
                best[name.pk] = key
        expected = [
            DrugSearchName.objects.get(pk=pk).label
            for pk, _ in sorted(best.items(), key=lambda item: (item[1], item[0]))
        ][:8]
        assert labels(query) == expected, query


def test_results_group_each_name_with_its_strengths_in_numeric_order(
    drugs: dict[str, Drug],
) -> None:
    groups = search_drugs(query="lisinopril")

    assert [group.label for group in groups][:2] == ["lisinopril", "Qbrelis"]
    generic = groups[0]
    assert [drug.form_label for drug in generic.drugs] == [
        "2.5 MG Oral Tablet",
        "10 MG Oral Tablet",
        "20 MG Oral Tablet",
        "Lisinopril",  # the ingredient-only concept (no strength or form) last
    ]
    assert all(not drug.is_brand for drug in generic.drugs)
    assert [drug.name for drug in groups[1].drugs] == ["lisinopril 1 MG/ML Oral Solution [Qbrelis]"]


def test_a_suggestion_opens_the_first_strength_of_its_name(drugs: dict[str, Drug]) -> None:
    (lipitor,) = list_drug_suggestions(query="lipitor")

    assert lipitor.public_id == drugs["617314"].public_id  # 10 MG before 40 MG
    assert lipitor.is_brand
    assert lipitor.ingredient == "atorvastatin"
    generic = list_drug_suggestions(query="lisinopril")[0]
    assert generic.public_id == drugs["311353"].public_id  # 2.5 MG, not the bare "Lisinopril"


@pytest.mark.parametrize("query", ["", " ", "a", "!!", "é"])
def test_fewer_than_two_characters_suggest_nothing(drugs: dict[str, Drug], query: str) -> None:
    assert list_drug_suggestions(query=query) == []
    assert search_drugs(query=query) == []


def test_a_long_query_is_cut_not_refused_by_the_selector(drugs: dict[str, Drug]) -> None:
    assert labels("lipitor " + "x" * 500) == labels("lipitor " + "x" * 72)


def test_suggestions_are_one_query(
    drugs: dict[str, Drug], django_assert_num_queries: object
) -> None:
    with django_assert_num_queries(1):  # type: ignore[operator]
        list_drug_suggestions(query="atorvastatn")


def test_search_results_are_two_queries(
    drugs: dict[str, Drug], django_assert_num_queries: object
) -> None:
    with django_assert_num_queries(2):  # type: ignore[operator]
        search_drugs(query="statin drugs lipitor")


def test_rebuilding_an_unchanged_index_writes_nothing(drugs: dict[str, Drug]) -> None:
    ids = list(DrugSearchTerm.objects.order_by("pk").values_list("pk", flat=True))

    assert rebuild_drug_search_index() is False
    assert list(DrugSearchTerm.objects.order_by("pk").values_list("pk", flat=True)) == ids


def test_a_new_drug_is_found_after_the_index_is_rebuilt(drugs: dict[str, Drug]) -> None:
    make_drug("1049621", "oxycodone hydrochloride 5 MG Oral Tablet [Roxicodone]")
    assert labels("roxicodone") == []

    assert rebuild_drug_search_index() is True
    assert labels("roxicodon") == ["Roxicodone"]


def test_the_trigram_table_is_used_only_without_pg_trgm(drugs: dict[str, Drug]) -> None:
    if connection.vendor == "postgresql":
        assert not DrugSearchTrigram.objects.exists()
    else:
        assert DrugSearchTrigram.objects.count() == sum(
            DrugSearchTerm.objects.values_list("trigram_count", flat=True)
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("atorvastatn", "atorvastatin"),
        ("metfromin", "metformin hydrochloride"),
        ("li", "hydrochlorothiazide lisinopril"),
        ("a", "a"),
        ("word", "two words"),
        ("x1 2", "x12"),
    ],
)
def test_python_similarity_is_pg_trgm_similarity(db: None, first: str, second: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT similarity(%s, %s), show_trgm(%s)", [first, second, second])
        similarity, trigrams = cursor.fetchone()

    assert set(trigrams) == set(domain.compute_trigrams(second))
    ours = domain.compute_similarity(
        domain.compute_trigrams(first), domain.compute_trigrams(second)
    )
    assert ours == pytest.approx(similarity, abs=1e-6)


# --- The pages -------------------------------------------------------------------------------


def test_the_urls() -> None:
    assert reverse("formulary:search") == "/drugs/"
    assert reverse("formulary:suggest") == "/drugs/suggest/"


def test_the_search_page_without_a_query_shows_the_form_only(client: Client) -> None:
    response = client.get("/drugs/")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert 'role="search"' in body
    assert 'method="get"' in body
    assert "results-heading" not in body
    assert "field__error" not in body


def test_a_misspelled_search_lists_the_drug_with_links_to_each_strength(
    client: Client, drugs: dict[str, Drug]
) -> None:
    response = client.get("/drugs/", {"q": "atorvastatn"})

    assert response.status_code == 200
    text = text_of(response)
    assert "2 drug names match “atorvastatn”" in text
    assert text.index("Generic") < text.index("Brand name. Generic name: atorvastatin")
    body = response.content.decode()
    for rxcui in ("617310", "617311", "617312", "259255", "617314", "617320"):
        assert reverse("formulary:drug", args=[drugs[rxcui].public_id]) in body
    assert "atorvastatin 10 MG Oral Tablet" in text  # link text says which drug it opens


def test_no_match_says_what_to_try(client: Client, drugs: dict[str, Drug]) -> None:
    text = text_of(client.get("/drugs/", {"q": "qqqqqq"}))

    assert "0 drug names match “qqqqqq”" in text
    assert "Check the spelling" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Enter the name of a drug to search for."),
        ("   ", "Enter the name of a drug to search for."),
        ("a", "Enter at least 2 letters of the drug's name."),
        ("*!", "Enter at least 2 letters of the drug's name."),
        ("a" * 81, "Enter at most 80 characters: a drug's name is shorter."),
    ],
)
def test_bad_queries_get_a_clear_message_and_no_results(
    client: Client, drugs: dict[str, Drug], query: str, message: str
) -> None:
    response = client.get("/drugs/", {"q": query})

    assert response.status_code == 200
    body = response.content.decode()
    assert message in html.unescape(body)
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_q_hint id_q_error"' in body
    assert "results-heading" not in body
    assert "<title>Error:" in body


def test_suggest_returns_names_with_their_drug_page_urls(
    client: Client, drugs: dict[str, Drug]
) -> None:
    response = client.get("/drugs/suggest/", {"q": "lipitr"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "private" in response["Cache-Control"]
    data = response.json()
    assert data["count"] == 1
    assert data["message"] == ""
    assert data["results"] == [
        {
            "name": "Lipitor",
            "detail": "Brand of atorvastatin",
            "kind": "brand",
            "public_id": str(drugs["617314"].public_id),
            "url": f"/drugs/{drugs['617314'].public_id}/",
        }
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("a", "Enter at least 2 letters of the drug's name."),
        ("x" * 81, "Enter at most 80 characters: a drug's name is shorter."),
    ],
)
def test_suggest_answers_bad_input_with_a_message_and_no_results(
    client: Client, drugs: dict[str, Drug], query: str, message: str
) -> None:
    data = client.get("/drugs/suggest/", {"q": query}).json()

    assert data["results"] == []
    assert data["count"] == 0
    assert data["message"] == message


def test_suggest_is_one_query_for_an_anonymous_visitor(
    client: Client, drugs: dict[str, Drug], django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        client.get("/drugs/suggest/", {"q": "metfromin"})


def test_suggest_refuses_post(client: Client) -> None:
    assert client.post("/drugs/suggest/", {"q": "lipitor"}).status_code == 405
