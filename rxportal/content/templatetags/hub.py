"""Template helpers of the content hub."""

from __future__ import annotations

from bs4 import BeautifulSoup
from django import template
from django.utils.safestring import SafeString, mark_safe
from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter
from wagtail.models import Page
from wagtail.rich_text import expand_db_html

from rxportal.content import selectors
from rxportal.content.models import RICH_TEXT_FEATURES

register = template.Library()

_DROPPED_WITH_CONTENT = ["script", "style", "template", "iframe", "object", "embed", "noscript"]


@register.filter
def hub_richtext(value: object) -> SafeString:
    """Rich text through the editor's own whitelist on the way out, whatever is stored: only the
    hub's features survive (no script, style, iframe, event handler or javascript: link), then
    Wagtail expands its internal links."""
    soup = BeautifulSoup(str(value or ""), "html.parser")
    for element in soup.find_all(_DROPPED_WITH_CONTENT):
        element.decompose()  # their text is code, not prose: the converter would keep it
    converter = ContentstateConverter(features=RICH_TEXT_FEATURES)
    cleaned = converter.to_database_format(converter.from_database_format(str(soup)))
    return mark_safe(expand_db_html(cleaned))  # noqa: S308 - whitelisted just above


@register.simple_tag
def hub_navigation(page: Page, sections: object = None) -> selectors.HubNavigation:
    """The hub's navigation for ``page``; the home page passes the sections it already read."""
    return selectors.get_hub_navigation(
        page=page, sections=list(sections) if isinstance(sections, list | tuple) else None
    )
