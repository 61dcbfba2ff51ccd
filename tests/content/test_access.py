"""Who may read the hub: every page type, list pages, search and documents follow the page's
audience on the server; members, other staff and anonymous callers are kept out."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from rxportal.content.models import ITEM_MODELS
from tests.content.conftest import AUDIENCES, Hub, make_document, publish_item, signed_in

pytestmark = pytest.mark.django_db

ITEM_NAMES = [model._meta.model_name for model in ITEM_MODELS]
VISIBLE = {
    "client_user": {"clients", "both"},
    "advisor_user": {"advisors", "both"},
    "editor_user": {"clients", "advisors", "both"},
}


def _titles(response) -> set[str]:
    return set(re.findall(r"<h3><a [^>]*>([^<]+)</a>", response.content.decode()))


@pytest.mark.parametrize("model_name", ITEM_NAMES)
@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_item_pages_are_served_to_their_audience_only(
    hub: Hub, model_name: str, who: str, request: pytest.FixtureRequest
) -> None:
    client = signed_in(request.getfixturevalue(who))
    for audience in AUDIENCES:
        response = client.get(hub.items[model_name][audience].url)
        expected = 200 if audience in VISIBLE[who] else 404
        assert response.status_code == expected, (model_name, audience)
        if expected == 200:
            assert hub.items[model_name][audience].title in response.content.decode()


@pytest.mark.parametrize("model_name", ITEM_NAMES)
@pytest.mark.parametrize("who", ["member_user", "service_user"])
def test_members_and_staff_without_the_cms_permission_get_404_everywhere(
    hub: Hub, model_name: str, who: str, request: pytest.FixtureRequest
) -> None:
    client = signed_in(request.getfixturevalue(who))
    section = hub.section_for(model_name)
    for url in ["/hub/", section.url, hub.items[model_name]["both"].url]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("model_name", ITEM_NAMES)
def test_anonymous_callers_are_sent_to_sign_in(hub: Hub, model_name: str) -> None:
    client = Client()
    for url in ["/hub/", hub.section_for(model_name).url, hub.items[model_name]["both"].url]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("model_name", ITEM_NAMES)
@pytest.mark.parametrize("who", ["client_user", "advisor_user"])
def test_list_pages_show_only_the_viewers_audiences(
    hub: Hub, model_name: str, who: str, request: pytest.FixtureRequest
) -> None:
    response = signed_in(request.getfixturevalue(who)).get(hub.section_for(model_name).url)
    assert response.status_code == 200
    assert _titles(response) == {f"{model_name} for {audience}" for audience in VISIBLE[who]}


@pytest.mark.parametrize("model_name", ITEM_NAMES)
def test_search_results_leave_out_other_audiences(hub: Hub, model_name: str, client_user) -> None:
    client = signed_in(client_user)
    section = hub.section_for(model_name)
    response = client.get(section.url, {"q": "formulary savings"})
    assert _titles(response) == {f"{model_name} for clients", f"{model_name} for both"}
    response = client.get(section.url, {"q": "advisors"})
    assert _titles(response) == set()


def test_search_ranks_by_the_words_asked(hub: Hub, client_user) -> None:
    section = hub.section_for("newspage")
    publish_item(
        section,
        ITEM_MODELS[0],
        title="Biosimilars update",
        audience="clients",
        summary="Biosimilars reach more plans.",
    )
    response = signed_in(client_user).get(section.url, {"q": "biosimilars"})
    assert _titles(response) == {"Biosimilars update"}


def test_list_filters_by_topic_and_year(hub: Hub, client_user) -> None:
    section = hub.section_for("newspage")
    older = publish_item(
        section, ITEM_MODELS[0], title="Older rules", audience="both", topic="regulation"
    )
    older.date = older.date.replace(year=older.date.year - 2)
    older.save_revision().publish()
    client = signed_in(client_user)

    by_topic = client.get(section.url, {"topic": "regulation"})
    assert _titles(by_topic) == {"Older rules"}
    by_year = client.get(section.url, {"year": str(older.date.year)})
    assert _titles(by_year) == {"Older rules"}
    assert f'<option value="{older.date.year}"' in by_year.content.decode()


def test_unpublished_items_are_not_listed_or_served(hub: Hub, client_user) -> None:
    item = hub.items["newspage"]["clients"]
    url = item.url
    item.unpublish()
    client = signed_in(client_user)
    assert client.get(url).status_code == 404
    assert "newspage for clients" not in _titles(client.get(hub.section_for("newspage").url))


@pytest.mark.parametrize("model_name", ["toolpage", "publicationpage"])
def test_documents_are_served_only_to_the_audience_of_a_live_page_that_attaches_them(
    hub: Hub, model_name: str, client_user, advisor_user, member_user
) -> None:
    client_doc = hub.items[model_name]["clients"].document
    advisor_doc = hub.items[model_name]["advisors"].document
    shared_doc = hub.items[model_name]["both"].document

    as_client = signed_in(client_user)
    response = as_client.get(client_doc.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"Dear member,\r\n"
    assert as_client.get(shared_doc.url).status_code == 200
    assert as_client.get(advisor_doc.url).status_code == 404

    assert signed_in(advisor_user).get(advisor_doc.url).status_code == 200
    assert signed_in(advisor_user).get(client_doc.url).status_code == 404
    assert signed_in(member_user).get(shared_doc.url).status_code == 404
    anonymous = Client().get(shared_doc.url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_a_document_no_live_page_attaches_is_not_served(hub: Hub, client_user) -> None:
    loose = make_document("Loose draft")
    tool = hub.items["toolpage"]["clients"]
    draft_only = make_document("Draft attachment")
    tool.document = draft_only
    tool.save_revision()  # a draft: the live page still attaches its old document
    client = signed_in(client_user)
    assert client.get(loose.url).status_code == 404
    assert client.get(draft_only.url).status_code == 404
    tool.unpublish()
    assert client.get(hub.items["toolpage"]["clients"].document.url).status_code == 404


def test_content_editors_preview_every_audience_and_document(hub: Hub, editor_user) -> None:
    client = signed_in(editor_user)
    assert client.get(hub.items["toolpage"]["advisors"].document.url).status_code == 200
    assert client.get(make_document("Unattached").url).status_code == 200


@pytest.mark.parametrize(
    ("url", "budget"), [("/hub/", 18), ("/hub/news/", 14), ("/hub/news/?q=formulary", 14)]
)
def test_hub_pages_keep_a_query_budget_whatever_the_number_of_items(
    hub: Hub, client_user, url: str, budget: int
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(client_user)
    client.get("/hub/")  # the visit mark is written on the first view of a session

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for number in range(4):
        publish_item(
            hub.section_for("newspage"), ITEM_MODELS[0], title=f"More {number}", audience="both"
        )
    client = signed_in(client_user)
    client.get("/hub/")
    assert queries() == before <= budget
