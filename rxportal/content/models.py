"""The content hub's Wagtail pages, and the two rows it keeps per user.

Tree (one per language; the Spanish one is a translation of the English one, same slugs):

    HubHomePage (/hub/)
      NewsIndexPage        -> NewsPage          breaking industry news
      ToolIndexPage        -> ToolPage          member-communication templates (a document each)
      WebinarIndexPage     -> WebinarPage       upcoming (registration, .ics) and past (recording)
      PublicationIndexPage -> PublicationPage   publications (a document, optional)
      StrategyIndexPage    -> StrategyPage      strategies to manage drug trend

Every item page names its audience (clients, advisors or both). Who may read what is decided in
rxportal/content/domain.py and enforced when a page is served (wagtail_hooks.py), in every
listing, search and "new since your last visit" query (selectors.py), and when a document is
downloaded (a document is served only to someone who may read a live page that links it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from rxportal.content.domain import AudienceCode
from rxportal.core import clock

# Rich text editors may use: no raw HTML, images, embeds or document links (documents are
# attached through the page's own document field, where the audience check can see them).
RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link"]


class Audience(models.TextChoices):
    CLIENTS = AudienceCode.CLIENTS, _("Clients")
    ADVISORS = AudienceCode.ADVISORS, _("Advisors")
    BOTH = AudienceCode.BOTH, _("Clients and advisors")


class Topic(models.TextChoices):
    SPECIALTY = "specialty", _("Specialty drugs")
    GENERICS = "generics", _("Generics and biosimilars")
    COST = "cost", _("Cost management")
    REGULATION = "regulation", _("Regulation and compliance")
    ENGAGEMENT = "engagement", _("Member engagement")
    BENEFIT_DESIGN = "benefit_design", _("Benefit design")


class HubHomePage(Page):
    """/hub/: what is new since the viewer's last visit, and the sections."""

    intro = models.TextField(blank=True, verbose_name=_("introduction"))

    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types: ClassVar[list[str]] = ["wagtailcore.Page"]
    subpage_types: ClassVar[list[str]] = [
        "content.NewsIndexPage",
        "content.ToolIndexPage",
        "content.WebinarIndexPage",
        "content.PublicationIndexPage",
        "content.StrategyIndexPage",
    ]
    template = "content/hub_home.html"

    class Meta:
        verbose_name = _("hub home page")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from rxportal.content.views import hub_home_context

        context = super().get_context(request, *args, **kwargs)
        context.update(hub_home_context(request, home=self))
        return context


class HubIndexPage(Page):
    """A section's list page: the live items below it that the viewer may read, searchable and
    filtered by topic and year (rxportal/content/selectors.py)."""

    intro = models.TextField(blank=True, verbose_name=_("introduction"))

    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types: ClassVar[list[str]] = ["content.HubHomePage"]
    hub_template: ClassVar[str] = "content/hub_index.html"
    max_count_per_parent = 1
    item_model_name: ClassVar[str] = ""

    class Meta:
        abstract = True

    def get_template(self, request: HttpRequest, *args: Any, **kwargs: Any) -> str:
        # Wagtail names a template per concrete class; the sections (items) share one.
        return self.hub_template

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from rxportal.content.views import hub_index_context

        context = super().get_context(request, *args, **kwargs)
        context.update(hub_index_context(request, section=self))
        return context


class HubItemPage(Page):
    """What every item shares: audience, topic, date, summary and sanitized rich text."""

    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.BOTH
    )
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    date = models.DateField(_("date"), default=clock.today)
    summary = models.TextField(_("summary"), max_length=400)
    body = RichTextField(_("body"), features=RICH_TEXT_FEATURES, blank=True)
    is_sample = models.BooleanField(
        _("sample content"),
        default=False,
        help_text=_("Shows a 'Sample content' label (demo and placeholder text)."),
    )

    search_fields: ClassVar[list[Any]] = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("audience"),
        index.FilterField("topic"),
        index.FilterField("date"),
    ]
    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("audience"),
                FieldPanel("topic"),
                FieldPanel("date"),
                FieldPanel("is_sample"),
            ],
            heading=_("Who and what"),
        ),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    subpage_types: ClassVar[list[str]] = []
    hub_template: ClassVar[str] = "content/hub_item.html"

    class Meta:
        abstract = True

    def get_template(self, request: HttpRequest, *args: Any, **kwargs: Any) -> str:
        # Wagtail names a template per concrete class; the sections (items) share one.
        return self.hub_template


def _document_field(*, required: bool) -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("document"),
        null=True,
        blank=not required,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class NewsIndexPage(HubIndexPage):
    item_model_name = "newspage"
    subpage_types: ClassVar[list[str]] = ["content.NewsPage"]

    class Meta:
        verbose_name = _("industry news section")


class NewsPage(HubItemPage):
    parent_page_types: ClassVar[list[str]] = ["content.NewsIndexPage"]

    class Meta:
        verbose_name = _("industry news item")


class ToolIndexPage(HubIndexPage):
    item_model_name = "toolpage"
    subpage_types: ClassVar[list[str]] = ["content.ToolPage"]

    class Meta:
        verbose_name = _("communication tools section")


class ToolPage(HubItemPage):
    """A member-communication template to download (a Wagtail document)."""

    document = _document_field(required=True)

    content_panels: ClassVar[list[Any]] = [*HubItemPage.content_panels, FieldPanel("document")]
    parent_page_types: ClassVar[list[str]] = ["content.ToolIndexPage"]

    class Meta:
        verbose_name = _("communication tool")


class WebinarIndexPage(HubIndexPage):
    item_model_name = "webinarpage"
    subpage_types: ClassVar[list[str]] = ["content.WebinarPage"]

    class Meta:
        verbose_name = _("webinars section")


class WebinarPage(RoutablePageMixin, HubItemPage):
    """Upcoming: registration (one row per user) and an .ics file. Past: the recording."""

    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    recording_url = models.URLField(_("recording link"), blank=True)

    content_panels: ClassVar[list[Any]] = [
        *HubItemPage.content_panels,
        MultiFieldPanel(
            [FieldPanel("starts_at"), FieldPanel("ends_at"), FieldPanel("recording_url")],
            heading=_("When"),
        ),
    ]
    parent_page_types: ClassVar[list[str]] = ["content.WebinarIndexPage"]
    hub_template: ClassVar[str] = "content/webinar.html"

    class Meta:
        verbose_name = _("webinar")

    def is_upcoming(self, *, now: dt.datetime) -> bool:
        return self.ends_at > now

    @path("")
    def detail(self, request: HttpRequest) -> HttpResponse:
        from rxportal.content.views import webinar_detail

        return webinar_detail(request, webinar=self)

    @path("calendar/")
    def calendar(self, request: HttpRequest) -> HttpResponse:
        from rxportal.content.views import webinar_calendar

        return webinar_calendar(request, webinar=self)


class PublicationIndexPage(HubIndexPage):
    item_model_name = "publicationpage"
    subpage_types: ClassVar[list[str]] = ["content.PublicationPage"]

    class Meta:
        verbose_name = _("publications section")


class PublicationPage(HubItemPage):
    document = _document_field(required=False)

    content_panels: ClassVar[list[Any]] = [*HubItemPage.content_panels, FieldPanel("document")]
    parent_page_types: ClassVar[list[str]] = ["content.PublicationIndexPage"]

    class Meta:
        verbose_name = _("publication")


class StrategyIndexPage(HubIndexPage):
    item_model_name = "strategypage"
    subpage_types: ClassVar[list[str]] = ["content.StrategyPage"]

    class Meta:
        verbose_name = _("drug trend strategies section")


class StrategyPage(HubItemPage):
    parent_page_types: ClassVar[list[str]] = ["content.StrategyIndexPage"]

    class Meta:
        verbose_name = _("drug trend strategy")


# Item page models, in the order the hub shows its sections.
ITEM_MODELS: tuple[type[HubItemPage], ...] = (
    NewsPage,
    ToolPage,
    WebinarPage,
    PublicationPage,
    StrategyPage,
)
# Item models that attach a document (the download check looks in each).
DOCUMENT_MODELS: tuple[type[ToolPage] | type[PublicationPage], ...] = (ToolPage, PublicationPage)


class HubVisit(models.Model):
    """When a user last opened the hub's home: "new since your last visit" starts there."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_visit"
    )
    last_visit_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"hub visit {self.last_visit_at:%Y-%m-%d %H:%M}"


class WebinarRegistration(models.Model):
    """One user's registration for one webinar, whichever language they registered in (the
    English and Spanish pages of a webinar share Wagtail's translation key)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webinar_registrations"
    )
    webinar_key = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "webinar_key"], name="content_one_registration_per_webinar"
            )
        ]

    def __str__(self) -> str:
        return f"webinar registration {self.public_id}"


# The public help center's pages (a module of their own; imported here so Django registers them).
from rxportal.content.help_models import (  # noqa: E402, F401
    HelpContactPage,
    HelpFaqPage,
    HelpHomePage,
    HelpTutorialPage,
)
