"""Setting the hub up (idempotent): locales, the page tree in English and Spanish, the site's
root, the "Content editors" group, and the demo items of rxportal/content/demo_content.py."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from wagtail.documents.models import Document
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
)

from rxportal.accounts.models import Role, User
from rxportal.content import demo_content
from rxportal.content.models import (
    HubHomePage,
    HubIndexPage,
    HubItemPage,
    NewsIndexPage,
    PublicationIndexPage,
    StrategyIndexPage,
    ToolIndexPage,
    WebinarIndexPage,
)

CONTENT_EDITORS_GROUP = "Content editors"
# Roles whose users may be content editors; the group, not the role, grants /cms/.
EDITOR_ROLES = frozenset({Role.ACCOUNT_TEAM, Role.ADMIN})
_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
_DOCUMENT_PERMISSIONS = ("add_document", "change_document", "choose_document")
SECTION_MODELS: dict[str, type[HubIndexPage]] = {
    "news": NewsIndexPage,
    "tools": ToolIndexPage,
    "webinars": WebinarIndexPage,
    "publications": PublicationIndexPage,
    "strategies": StrategyIndexPage,
}


@dataclass
class HubSeedSummary:
    created_pages: int = 0
    created_documents: int = 0
    editors: list[str] = field(default_factory=list)


def _publish(page: Page) -> None:
    page.save_revision().publish()


def ensure_locales() -> tuple[Locale, Locale]:
    english, _created = Locale.objects.get_or_create(language_code="en")
    spanish, _created = Locale.objects.get_or_create(language_code="es")
    return english, spanish


def _translate(
    page: Page, *, locale: Locale, values: dict[str, Any], summary: HubSeedSummary
) -> Page:
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific
    copy = page.copy_for_translation(locale).specific
    for name, value in values.items():
        setattr(copy, name, value)
    copy.save()
    _publish(copy)
    summary.created_pages += 1
    return copy


def ensure_hub_tree(summary: HubSeedSummary) -> dict[str, dict[str, HubIndexPage]]:
    """The hub's home (the default site's root) and its five sections, in both languages."""
    english, spanish = ensure_locales()
    root = Page.get_first_root_node()
    home = HubHomePage.objects.filter(locale=english).first()
    texts = demo_content.HOME
    if home is None:
        home = HubHomePage(
            title=texts["en"]["title"], slug="hub", intro=texts["en"]["intro"], locale=english
        )
        root.add_child(instance=home)
        _publish(home)
        summary.created_pages += 1
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True, site_name="rxportal")
    if site.root_page_id != home.pk:
        previous_root = site.root_page_id
        site.root_page = home
        site.save()
        # Wagtail's own placeholder ("Welcome to your new Wagtail site!") goes.
        Page.objects.filter(pk=previous_root, depth=2, content_type__model="page").delete()
    home_es = _translate(home, locale=spanish, values=texts["es"], summary=summary)
    sections: dict[str, dict[str, HubIndexPage]] = {"en": {}, "es": {}}
    for key, model in SECTION_MODELS.items():
        text = demo_content.SECTIONS[key]
        section = model.objects.child_of(home).first()
        if section is None:
            section = model(slug=key, **text["en"])
            home.add_child(instance=section)
            _publish(section)
            summary.created_pages += 1
        sections["en"][key] = section
        sections["es"][key] = _translate(
            section, locale=spanish, values=text["es"], summary=summary
        )
    del home_es
    return sections


def ensure_content_editors(summary: HubSeedSummary) -> Group:
    """The group that opens /cms/: Wagtail's admin access, page rights on both hub trees,
    documents in the root collection. Demo account-team users are put in it."""
    group, _created = Group.objects.get_or_create(name=CONTENT_EDITORS_GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        Permission.objects.get(
            content_type__app_label="simple_translation", codename="submit_translation"
        ),
    )
    for home in HubHomePage.objects.all():
        for codename in _PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=home,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )
    collection = Collection.get_first_root_node()
    for codename in _DOCUMENT_PERMISSIONS:
        GroupCollectionPermission.objects.get_or_create(
            group=group,
            collection=collection,
            permission=Permission.objects.get(
                content_type__app_label="wagtaildocs", codename=codename
            ),
        )
    return group


def _document(spec: demo_content.DocumentSpec, summary: HubSeedSummary) -> Document:
    document = Document.objects.filter(title=spec.title).first()
    if document is None:
        document = Document(title=spec.title)
        document.file.save(spec.filename, ContentFile(_render_document(spec)), save=False)
        document.save()
        summary.created_documents += 1
    return document


def _render_document(spec: demo_content.DocumentSpec) -> bytes:
    if not spec.filename.endswith(".pdf"):
        return spec.text.replace("\n", "\r\n").encode()
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=LETTER, pageCompression=0)
    pdf.setTitle(spec.title)
    text = pdf.beginText(72, 720)
    text.setFont("Helvetica", 11)
    for line in spec.text.splitlines():
        text.textLine(line)
    pdf.drawText(text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def ensure_demo_items(
    sections: dict[str, dict[str, HubIndexPage]], *, now: dt.datetime, summary: HubSeedSummary
) -> None:
    _english, spanish = ensure_locales()
    for spec in demo_content.ITEMS:
        section = sections["en"][spec.section]
        model = demo_content.item_model(spec.section)
        item: HubItemPage | None = model.objects.child_of(section).filter(slug=spec.slug).first()
        shared = spec.shared_values(now=now)
        if spec.document is not None:
            shared["document"] = _document(spec.document, summary)
        if item is None:
            item = model(slug=spec.slug, **spec.en, **shared)
            section.add_child(instance=item)
            _publish(item)
            summary.created_pages += 1
        values = dict(spec.es)
        if spec.document_es is not None:
            values["document"] = _document(spec.document_es, summary)
        _translate(item, locale=spanish, values=values, summary=summary)


def add_demo_editors(group: Group, summary: HubSeedSummary) -> None:
    for user in User.objects.filter(username__startswith="demo-", role__in=EDITOR_ROLES):
        user.groups.add(group)
        summary.editors.append(user.username)


@transaction.atomic
def seed_hub(*, now: dt.datetime, demo: bool) -> HubSeedSummary:
    summary = HubSeedSummary()
    sections = ensure_hub_tree(summary)
    group = ensure_content_editors(summary)
    if demo:
        ensure_demo_items(sections, now=now, summary=summary)
        add_demo_editors(group, summary)
    return summary
