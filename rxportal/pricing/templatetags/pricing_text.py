"""Template filters that word the pricing selectors' facts (``pricing.presentation``)."""

from __future__ import annotations

from django import template

from rxportal.pricing import presentation
from rxportal.pricing.explain import ExplanationText
from rxportal.pricing.selectors.comparison import DifferenceReason
from rxportal.pricing.selectors.estimates import FillEstimate

register = template.Library()


@register.filter
def pricing_channel(value: str) -> str:
    return presentation.channel_label(value)


@register.filter
def pricing_tier(value: str | None) -> str:
    return presentation.tier_label(value)


@register.filter
def pricing_network(value: str) -> str:
    return presentation.network_label(value)


@register.filter
def not_covered_text(estimate: FillEstimate | None) -> str:
    return presentation.not_covered_text(estimate) if estimate is not None else ""


@register.filter
def estimate_notes(estimate: FillEstimate | None) -> list[str]:
    return presentation.note_texts(estimate) if estimate is not None else []


@register.filter
def estimate_explanation(estimate: FillEstimate | None) -> list[ExplanationText]:
    return presentation.explanation_texts(estimate) if estimate is not None else []


@register.filter
def difference_reason(reason: DifferenceReason) -> str:
    return presentation.difference_reason_text(reason)
