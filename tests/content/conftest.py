"""Content-hub fixtures: the hub's tree (English and Spanish), one item of each audience for
every page type, users of every role, and helpers to publish more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings
from wagtail.documents.models import Document
from wagtail.models import Page

from rxportal.accounts.models import Role, User
from rxportal.content.models import (
    ITEM_MODELS,
    HubHomePage,
    HubIndexPage,
    HubItemPage,
    WebinarPage,
)
from rxportal.content.seeding import (
    CONTENT_EDITORS_GROUP,
    HubSeedSummary,
    ensure_content_editors,
    ensure_hub_tree,
)
from rxportal.core import clock
from tests.factories import UserFactory

AUDIENCES = ("clients", "advisors", "both")
SECTION_OF = {
    "newspage": "news",
    "toolpage": "tools",
    "webinarpage": "webinars",
    "publicationpage": "publications",
    "strategypage": "strategies",
}


def make_document(title: str) -> Document:
    document = Document(title=title)
    document.file.save(
        f"{title.lower().replace(' ', '-')}.txt", ContentFile(b"Dear member,\r\n"), save=False
    )
    document.save()
    return document


def publish_item(
    section: HubIndexPage, model: type[HubItemPage], *, title: str, audience: str, **values: Any
) -> HubItemPage:
    defaults: dict[str, Any] = {
        "topic": "cost",
        "summary": f"{title}: a summary about formulary savings.",
        "body": "<p>Formulary savings explained.</p>",
        "date": clock.today(),
    }
    if model is WebinarPage:
        starts = clock.now() + dt.timedelta(days=7)
        defaults.update(starts_at=starts, ends_at=starts + dt.timedelta(hours=1))
    if model._meta.model_name in {"toolpage", "publicationpage"} and "document" not in values:
        defaults["document"] = make_document(f"{title} template")
    item = model(title=title, audience=audience, **{**defaults, **values})
    section.add_child(instance=item)
    item.save_revision().publish()
    return item


@pytest.fixture(scope="session", autouse=True)
def _media_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Uploaded documents go to a temporary folder, never the checkout's var/media."""
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@dataclass
class Hub:
    sections: dict[str, dict[str, HubIndexPage]]
    # items[model_name][audience]
    items: dict[str, dict[str, HubItemPage]]

    def section_for(self, model_name: str, language: str = "en") -> HubIndexPage:
        return self.sections[language][SECTION_OF[model_name]]


def _build_tree() -> dict[str, dict[str, HubIndexPage]]:
    summary = HubSeedSummary()
    sections = ensure_hub_tree(summary)
    ensure_content_editors(summary)
    return sections


def _remove_hub() -> None:
    for home in HubHomePage.objects.all():
        home.delete()
    Document.objects.all().delete()
    Group.objects.filter(name=CONTENT_EDITORS_GROUP).delete()


@pytest.fixture(scope="module")
def hub_ids(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The hub's tree and one item per audience for every page type, built once per module
    (publishing a Wagtail page costs ~0.15 s of CPU) and removed afterwards. Each test runs in
    its own transaction on top, so what a test publishes or unpublishes is rolled back."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            sections = _build_tree()
            items: dict[str, dict[str, int]] = {}
            for model in ITEM_MODELS:
                name = model._meta.model_name
                section = sections["en"][SECTION_OF[name]]
                items[name] = {
                    audience: publish_item(
                        section, model, title=f"{name} for {audience}", audience=audience
                    ).pk
                    for audience in AUDIENCES
                }
        ids = {
            "sections": {lang: {k: v.pk for k, v in by.items()} for lang, by in sections.items()},
            "items": items,
        }
        yield ids
        with transaction.atomic():
            _remove_hub()


@pytest.fixture
def hub(hub_ids: dict[str, Any], db: None) -> Hub:
    return Hub(
        sections={
            lang: {key: Page.objects.get(pk=pk).specific for key, pk in by.items()}
            for lang, by in hub_ids["sections"].items()
        },
        items={
            name: {audience: Page.objects.get(pk=pk).specific for audience, pk in by.items()}
            for name, by in hub_ids["items"].items()
        },
    )


@pytest.fixture
def hub_tree(hub: Hub) -> dict[str, dict[str, HubIndexPage]]:
    return hub.sections


def user_with_role(role: str, username: str | None = None) -> User:
    return UserFactory(
        username=username or f"{role}-user",
        role=role,
        is_staff=role in {"account_team", "admin", "service_center"},
    )


@pytest.fixture
def client_user(db: None) -> User:
    return user_with_role(Role.CLIENT)


@pytest.fixture
def advisor_user(db: None) -> User:
    return user_with_role(Role.ADVISOR)


@pytest.fixture
def member_user(db: None) -> User:
    return user_with_role(Role.MEMBER)


@pytest.fixture
def service_user(db: None) -> User:
    return user_with_role(Role.SERVICE_CENTER)


@pytest.fixture
def editor_user(hub_tree: Any) -> User:
    user = user_with_role(Role.ACCOUNT_TEAM, "editor-user")
    user.groups.add(Group.objects.get(name="Content editors"))
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
