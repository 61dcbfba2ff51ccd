"""Reads of the content hub. Every one takes ``viewer=`` and shows only the audiences the viewer
may read (rxportal/content/domain.py), so a listing, a search or a download cannot leak an
advisor-only item to a client."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from wagtail.documents.models import AbstractDocument
from wagtail.models import Locale, Page

from rxportal.accounts.models import User
from rxportal.content.domain import compute_audiences, compute_help_audiences, is_visible
from rxportal.content.help_models import HelpTopic
from rxportal.content.models import (
    DOCUMENT_MODELS,
    ITEM_MODELS,
    HelpContactPage,
    HelpFaqPage,
    HelpHomePage,
    HelpTutorialPage,
    HubIndexPage,
    HubItemPage,
    HubVisit,
    WebinarPage,
    WebinarRegistration,
)

CMS_PERMISSION = "wagtailadmin.access_admin"


@dataclass(frozen=True)
class HubViewer:
    user: User
    audiences: frozenset[str]
    is_editor: bool


def is_content_editor(user: User | AnonymousUser) -> bool:
    """PBM staff whose groups grant Wagtail's admin access (the "Content editors" group)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return (user.is_pbm_staff or user.is_superuser) and user.has_perm(CMS_PERMISSION)


def find_hub_viewer(user: User | AnonymousUser) -> HubViewer | None:
    """The hub's reader, or None for anyone the hub is not for (members, other staff)."""
    if not user.is_authenticated:
        return None
    editor = is_content_editor(user)
    audiences = compute_audiences(role=user.role, is_editor=editor)
    if not audiences:
        return None
    return HubViewer(user=user, audiences=audiences, is_editor=editor)


def can_view_page(*, viewer: HubViewer, page: Page) -> bool:
    """Sections and the home are for every hub reader; an item for its audience only."""
    audience = getattr(page.specific_deferred, "audience", None)
    return audience is None or is_visible(audience=audience, audiences=viewer.audiences)


# The hub's home is the top page of its language's tree (the site root's depth).
HUB_HOME_DEPTH = 2


@dataclass(frozen=True)
class HubNavigation:
    home: Page
    sections: list[Page]
    current_section: Page | None


def get_hub_navigation(*, page: Page, sections: list[Page] | None = None) -> HubNavigation:
    """The hub home above ``page`` and its live sections, for the hub's navigation: at most two
    queries (the home by its tree path, its children), none when the home page passes its own
    page and sections. Wagtail's own way (site, root page, locale, localized page, children)
    took five on every hub page."""
    home_path = page.path[: Page.steplen * HUB_HOME_DEPTH]
    home = page if page.path == home_path else Page.objects.get(path=home_path)
    if sections is None:
        sections = list(home.get_children().live())
    current = next((section for section in sections if page.path.startswith(section.path)), None)
    return HubNavigation(home=home, sections=sections, current_section=current)


@dataclass(frozen=True)
class SectionFilters:
    query: str = ""
    topic: str = ""
    year: int | None = None


def list_section_items(
    *, viewer: HubViewer, section: HubIndexPage, filters: SectionFilters
) -> QuerySet[Any]:
    """Live items of one section that the viewer may read: newest first, or by relevance when
    searching (Wagtail's database search backend, filtered before it ranks)."""
    item_model = _item_model(section)
    items = item_model.objects.live().child_of(section).filter(audience__in=viewer.audiences)
    if filters.topic:
        items = items.filter(topic=filters.topic)
    if filters.year is not None:
        items = items.filter(
            date__gte=dt.date(filters.year, 1, 1), date__lt=dt.date(filters.year + 1, 1, 1)
        )
    if filters.query:
        return items.search(filters.query)  # type: ignore[return-value]
    return items.order_by("-date", "-first_published_at")


def list_section_years(*, viewer: HubViewer, section: HubIndexPage) -> list[int]:
    dates = (
        _item_model(section)
        .objects.live()
        .child_of(section)
        .filter(audience__in=viewer.audiences)
        .dates("date", "year", order="DESC")
    )
    return [day.year for day in dates]


def _item_model(section: HubIndexPage) -> type[HubItemPage]:
    by_name = {model._meta.model_name: model for model in ITEM_MODELS}
    return by_name[type(section).item_model_name]


def list_new_items(
    *, viewer: HubViewer, locale_id: int, since: dt.datetime | None, limit: int = 10
) -> list[HubItemPage]:
    """Items first published after ``since`` (everything, the first time), newest first, in the
    language of ``locale_id`` (an id: the home page's, without reading its Locale row)."""
    found: list[HubItemPage] = []
    for model in ITEM_MODELS:
        items = model.objects.live().filter(locale_id=locale_id, audience__in=viewer.audiences)
        if since is not None:
            items = items.filter(first_published_at__gt=since)
        found.extend(items.order_by("-first_published_at")[:limit])
    found.sort(key=lambda item: item.first_published_at or dt.datetime.min, reverse=True)
    return found[:limit]


def find_last_visit(*, viewer: HubViewer) -> dt.datetime | None:
    visit = HubVisit.objects.filter(user=viewer.user).only("last_visit_at").first()
    return visit.last_visit_at if visit else None


def can_download_document(*, viewer: HubViewer, document: AbstractDocument) -> bool:
    """Only to a reader of a live page that attaches it; editors may fetch any document."""
    if viewer.is_editor:
        return True
    return any(
        model.objects.live().filter(document_id=document.pk, audience__in=viewer.audiences).exists()
        for model in DOCUMENT_MODELS
    )


def is_registered(*, viewer: HubViewer, webinar: WebinarPage) -> bool:
    return WebinarRegistration.objects.filter(
        user=viewer.user, webinar_key=webinar.translation_key
    ).exists()


# --- The public help center: no viewer (it is public and holds no PHI); lists by language.


@dataclass(frozen=True)
class HelpTopicGroup:
    topic: str
    label: str
    questions: list[HelpFaqPage]


def find_help_home(*, locale: Locale) -> HelpHomePage | None:
    """The help center's home in this language, else the English one, else None."""
    homes = HelpHomePage.objects.live()
    return homes.filter(locale=locale).first() or homes.order_by("pk").first()


def list_help_topics(*, home: HelpHomePage, audience: str) -> list[HelpTopicGroup]:
    """The live questions under this home, grouped by topic (in the topics' order), filtered to
    one audience plus "everyone" when ``audience`` names one."""
    questions = (
        HelpFaqPage.objects.live()
        .child_of(home)
        .filter(audience__in=compute_help_audiences(wanted=audience))
        .order_by("sort_order", "title")
    )
    by_topic: dict[str, list[HelpFaqPage]] = {}
    for question in questions:
        by_topic.setdefault(question.topic, []).append(question)
    return [
        HelpTopicGroup(topic=str(value), label=str(label), questions=by_topic[value])
        for value, label in HelpTopic.choices
        if value in by_topic
    ]


def list_help_tutorials(*, home: HelpHomePage, audience: str) -> list[HelpTutorialPage]:
    return list(
        HelpTutorialPage.objects.live()
        .child_of(home)
        .filter(audience__in=compute_help_audiences(wanted=audience))
        .order_by("sort_order", "title")
    )


def find_help_contact(*, home: HelpHomePage) -> HelpContactPage | None:
    return HelpContactPage.objects.live().child_of(home).first()


def search_help(*, home: HelpHomePage, query: str, audience: str) -> list[Page]:
    """Questions first, then tutorials, each ranked by Wagtail's database search backend."""
    audiences = compute_help_audiences(wanted=audience)
    found: list[Page] = []
    for model in (HelpFaqPage, HelpTutorialPage):
        pages = model.objects.live().child_of(home).filter(audience__in=audiences)
        found.extend(pages.search(query))
    return found
