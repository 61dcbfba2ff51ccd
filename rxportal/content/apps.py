from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    """The clients' and advisors' content hub, built on Wagtail (pages at /hub/, editor at /cms/)."""

    name = "rxportal.content"
    label = "content"
    verbose_name = _("Content hub")
