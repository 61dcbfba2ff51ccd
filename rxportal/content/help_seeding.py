"""Setting the help center up (idempotent): its home at /help/ in English and Spanish, the
contact page, and the questions and tutorials of rxportal/content/help_content.py. A page that
exists (same slug) is left as editors made it; only missing pages and translations are added."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import GroupPagePermission, Page
from wagtail.rich_text import RichText

from rxportal.content import help_content
from rxportal.content.help_models import (
    HelpContactPage,
    HelpFaqPage,
    HelpHomePage,
    HelpPage,
    HelpTutorialPage,
)
from rxportal.content.seeding import (
    _PAGE_PERMISSIONS,
    CONTENT_EDITORS_GROUP,
    HubSeedSummary,
    ensure_locales,
)

HELP_SLUG = "help"


def _publish(page: Page) -> None:
    page.save_revision().publish()


def _translate(page: HelpPage, *, values: dict[str, Any], summary: HubSeedSummary) -> None:
    _english, spanish = ensure_locales()
    if page.get_translation_or_none(spanish) is not None:
        return
    copy = page.copy_for_translation(spanish).specific
    for name, value in values.items():
        setattr(copy, name, value)
    copy.save()
    _publish(copy)
    summary.created_pages += 1


def _add(parent: Page, page: HelpPage, summary: HubSeedSummary) -> HelpPage:
    parent.add_child(instance=page)
    _publish(page)
    summary.created_pages += 1
    return page


def _steps(steps: tuple[tuple[str, str], ...]) -> list[tuple[str, dict[str, Any]]]:
    return [("step", {"heading": heading, "text": RichText(text)}) for heading, text in steps]


def ensure_help_tree(summary: HubSeedSummary) -> HelpHomePage:
    english, _spanish = ensure_locales()
    root = Page.get_first_root_node()
    home = HelpHomePage.objects.filter(locale=english).first()
    if home is None:
        home = _add(root, HelpHomePage(slug=HELP_SLUG, locale=english, **help_content.HOME["en"]),
                    summary)  # fmt: skip
    _translate(home, values=help_content.HOME["es"], summary=summary)

    contact = HelpContactPage.objects.child_of(home).first()
    if contact is None:
        contact = _add(home, HelpContactPage(slug="contact", **help_content.CONTACT["en"]), summary)
    _translate(contact, values=help_content.CONTACT["es"], summary=summary)

    for faq in help_content.FAQS:
        question = HelpFaqPage.objects.child_of(home).filter(slug=faq.slug).first()
        if question is None:
            question = _add(
                home,
                HelpFaqPage(
                    slug=faq.slug,
                    title=faq.en[0],
                    answer=faq.en[1],
                    topic=faq.topic,
                    audience=faq.audience,
                    sort_order=faq.order,
                ),
                summary,
            )
        _translate(question, values={"title": faq.es[0], "answer": faq.es[1]}, summary=summary)

    for spec in help_content.TUTORIALS:
        tutorial = HelpTutorialPage.objects.child_of(home).filter(slug=spec.slug).first()
        if tutorial is None:
            tutorial = _add(
                home,
                HelpTutorialPage(
                    slug=spec.slug,
                    title=spec.en[0],
                    summary=spec.en[1],
                    steps=_steps(spec.en[2]),
                    audience=spec.audience,
                    sort_order=spec.order,
                ),
                summary,
            )
        values = {"title": spec.es[0], "summary": spec.es[1], "steps": _steps(spec.es[2])}
        _translate(tutorial, values=values, summary=summary)
    return home


def ensure_help_editors() -> None:
    """The "Content editors" group edits the help trees too."""
    group, _created = Group.objects.get_or_create(name=CONTENT_EDITORS_GROUP)
    for home in HelpHomePage.objects.all():
        for codename in _PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=home,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )


@transaction.atomic
def seed_help() -> HubSeedSummary:
    summary = HubSeedSummary()
    ensure_help_tree(summary)
    ensure_help_editors()
    return summary
