"""The public help center's Wagtail pages (one tree per language, like the hub):

    HelpHomePage (/help/)   search, the FAQ grouped by topic, tutorials, contact
      HelpFaqPage           a question (the title) and its rich-text answer, a topic, an audience
      HelpTutorialPage      short step-by-step instructions (ordered steps)
      HelpContactPage       support hours and phone numbers, read from rxportal.core.contact only

Public: no sign-in (people who cannot sign in need it most). The audience only filters lists.
Served by ``views.help_page`` at /help/, not by Wagtail's /hub/ route, so the hub's reader
check never applies here and no hub page can be reached through /help/.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, Site
from wagtail.search import index

from rxportal.content.domain import HelpAudienceCode

HELP_RICH_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link"]


class HelpAudience(models.TextChoices):
    EVERYONE = HelpAudienceCode.EVERYONE, _("Everyone")
    MEMBERS = HelpAudienceCode.MEMBERS, _("Members")
    CLIENTS = HelpAudienceCode.CLIENTS, _("Clients and advisors")


class HelpTopic(models.TextChoices):
    REGISTRATION = "registration", _("Registering")
    ACCESS = "access", _("Access requests")
    SIGN_IN = "sign_in", _("Forgotten username or password")
    LOCKOUT = "lockout", _("Locked out")
    SECURITY = "security", _("SiteKey and challenge questions")
    BROWSERS = "browsers", _("Browsers and cookies")
    MOBILE = "mobile", _("The mobile app")


class HelpPage(Page):
    """What every help page shares: its public URL is its path under /help/."""

    help_template: ClassVar[str] = ""

    class Meta:
        abstract = True

    def get_url_parts(self, request: HttpRequest | None = None) -> Any:
        # Each language's help home hangs from the root, outside the site's /hub/ root (Wagtail
        # gives the Spanish one the slug "help-es"). Both are served at /help/ (views.help_page
        # picks the tree of the active language), so the public path is /help/ + the slugs
        # below the home.
        below_home = [part for part in self.url_path.split("/") if part][1:]
        path = "/".join(["/help", *below_home, ""])
        site = Site.find_for_request(request) if request is not None else None
        site = site or Site.objects.filter(is_default_site=True).first()
        if site is None:  # no Wagtail site yet: /help/ does not need one
            return (None, "", path)
        return (site.pk, site.root_url, path)

    def get_template(self, request: HttpRequest, *args: Any, **kwargs: Any) -> str:
        return self.help_template

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from rxportal.content.views import help_context

        context = super().get_context(request, *args, **kwargs)
        context.update(help_context(request, page=self))
        return context


class HelpHomePage(HelpPage):
    intro: models.TextField[str, str] = models.TextField(_("introduction"), blank=True)

    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types: ClassVar[list[str]] = ["wagtailcore.Page"]
    subpage_types: ClassVar[list[str]] = [
        "content.HelpFaqPage",
        "content.HelpTutorialPage",
        "content.HelpContactPage",
    ]
    max_count_per_parent = 1
    help_template = "content/help_home.html"

    class Meta:
        verbose_name = _("help center home page")


class HelpFaqPage(HelpPage):
    """The title is the question."""

    topic: models.CharField[str, str] = models.CharField(
        _("topic"), max_length=20, choices=HelpTopic.choices
    )
    audience: models.CharField[str, str] = models.CharField(
        _("audience"), max_length=10, choices=HelpAudience.choices, default=HelpAudience.EVERYONE
    )
    answer = RichTextField(_("answer"), features=HELP_RICH_TEXT_FEATURES)
    sort_order: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        _("order within its topic"), default=0
    )

    search_fields: ClassVar[list[Any]] = [
        *Page.search_fields,
        index.SearchField("answer"),
        index.FilterField("audience"),
        index.FilterField("topic"),
    ]
    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldPanel("topic"),
        FieldPanel("audience"),
        FieldPanel("sort_order"),
        FieldPanel("answer"),
    ]
    parent_page_types: ClassVar[list[str]] = ["content.HelpHomePage"]
    subpage_types: ClassVar[list[str]] = []
    help_template = "content/help_faq.html"

    class Meta:
        verbose_name = _("help question")


class StepBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("What to do"), max_length=120)
    text = blocks.RichTextBlock(label=_("How"), features=HELP_RICH_TEXT_FEATURES, required=False)

    class Meta:
        label = _("Step")


class HelpTutorialPage(HelpPage):
    audience: models.CharField[str, str] = models.CharField(
        _("audience"), max_length=10, choices=HelpAudience.choices, default=HelpAudience.EVERYONE
    )
    summary: models.TextField[str, str] = models.TextField(_("summary"), max_length=300)
    steps = StreamField([("step", StepBlock())], verbose_name=_("steps"))
    sort_order: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        _("order"), default=0
    )

    search_fields: ClassVar[list[Any]] = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("steps"),
        index.FilterField("audience"),
    ]
    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldPanel("audience"),
        FieldPanel("sort_order"),
        FieldPanel("summary"),
        FieldPanel("steps"),
    ]
    parent_page_types: ClassVar[list[str]] = ["content.HelpHomePage"]
    subpage_types: ClassVar[list[str]] = []
    help_template = "content/help_tutorial.html"

    class Meta:
        verbose_name = _("help tutorial")


class HelpContactPage(HelpPage):
    """Phone numbers and hours are not fields: the page renders rxportal.core.contact."""

    intro: models.TextField[str, str] = models.TextField(_("introduction"), blank=True)

    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types: ClassVar[list[str]] = ["content.HelpHomePage"]
    subpage_types: ClassVar[list[str]] = []
    max_count_per_parent = 1
    help_template = "content/help_contact.html"

    class Meta:
        verbose_name = _("help contact page")
