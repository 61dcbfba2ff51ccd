"""Template filters that name tools, stages, grant states and verification methods."""

from __future__ import annotations

from django import template

from rxportal.clients.labels import GRANT_STATUS_LABELS, STAGE_LABELS, TOOL_LABELS
from rxportal.clients.models import VerificationMethod

register = template.Library()


@register.filter
def tool_label(value: str) -> str:
    return str(TOOL_LABELS.get(value, value))


@register.filter
def stage_label(value: str) -> str:
    return str(STAGE_LABELS.get(value, value))


@register.filter
def grant_status_label(value: str) -> str:
    return str(GRANT_STATUS_LABELS.get(value, value))


@register.filter
def method_label(value: str) -> str:
    return str(dict(VerificationMethod.choices).get(value, value or "—"))
