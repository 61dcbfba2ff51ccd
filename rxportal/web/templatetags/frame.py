"""``{% frame_header %}`` and ``{% frame_footer %}``: base.html's header and footer, rendered
once per process per key (``rxportal.web.frame``) with the request's token and path put in."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from rxportal.web import frame

register = template.Library()


@register.simple_tag(takes_context=True)
def frame_header(context: template.Context) -> SafeString:
    return mark_safe(frame.render_header(context))  # noqa: S308 (rendered templates)


@register.simple_tag(takes_context=True)
def frame_footer(context: template.Context) -> SafeString:
    return mark_safe(frame.render_footer(context))  # noqa: S308 (rendered templates)
