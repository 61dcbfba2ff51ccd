"""The members' event kinds (automatic refills, orders, benefits): each renders from a sample
context and from an empty one, in English and Spanish; what leaves the portal (subject, email,
text) names no drug and no amount, and the inbox has the details."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from rxportal.notifications import kinds, services

DRUG = "Examplestatin 10 MG Oral Tablet"
PERSON = {"recipient_first_name": "Dana", "patient_first_name": "Lucia", "is_about_self": False}
ORDER = {
    **PERSON,
    "order_number": "MO-123456",
    "drug_names": DRUG,
    "carrier": "UPS",
    "tracking_number": "1Z999",
    "expected_delivery": dt.date(2026, 3, 9),
}
LIMIT = {**PERSON, "plan_year": 2026, "limit": Decimal("250.00"), "is_family": False}

# Per kind: a context like its producer's, and words the inbox must carry.
SAMPLE_CONTEXT: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "prescriptions.auto_refill_placed": (
        {
            **PERSON,
            "drug_name": DRUG,
            "order_number": "MO-123456",
            "member_cost": Decimal("12.50"),
            "expected_delivery": dt.date(2026, 3, 9),
        },
        (DRUG, "MO-123456", "$12.50"),
    ),
    "prescriptions.auto_refill_blocked": (
        {**PERSON, "drug_name": DRUG, "reason": "refill.not_covered", "renewal_requested": False},
        (DRUG, "prior authorization"),
    ),
    "orders.shipped": (ORDER, (DRUG, "MO-123456", "1Z999")),
    "orders.delivered": (ORDER, (DRUG, "MO-123456")),
    "orders.on_hold": (ORDER, (DRUG, "MO-123456", "call member services")),
    "orders.late": (ORDER, (DRUG, "MO-123456", "1Z999")),
    "benefits.new_plan_year": (
        {
            "recipient_first_name": "Dana",
            "plan_year": 2026,
            "deductible": Decimal("250.00"),
            "out_of_pocket_max": Decimal("3000.00"),
        },
        ("2026", "$250.00", "$3,000.00"),
    ),
    "benefits.deductible_met": (LIMIT, ("Lucia", "$250.00")),
    "benefits.out_of_pocket_max_reached": (LIMIT, ("Lucia", "$250.00")),
}


def test_every_member_event_kind_is_registered() -> None:
    for code in SAMPLE_CONTEXT:
        kind = kinds.get_kind(code)
        assert kind.optional


@pytest.mark.parametrize("code", sorted(SAMPLE_CONTEXT))
@pytest.mark.parametrize("context", ["empty", "sample"])
def test_each_kind_renders_in_english_and_spanish(code: str, context: str) -> None:
    given = SAMPLE_CONTEXT[code][0] if context == "sample" else {}
    kind = kinds.get_kind(code)
    rendered = {}
    for language in ("en", "es"):
        with translation.override(language):
            message = services.render_message(kind, given)
        assert message.subject and "\n" not in message.subject
        assert message.body_text.strip() and message.inbox_text.strip()
        assert message.sms_text and "\n" not in message.sms_text
        rendered[language] = message
    assert rendered["en"].subject != rendered["es"].subject
    assert rendered["en"].body_text != rendered["es"].body_text
    assert rendered["en"].inbox_text != rendered["es"].inbox_text


@pytest.mark.parametrize("code", sorted(SAMPLE_CONTEXT))
@pytest.mark.parametrize("language", ["en", "es"])
def test_what_leaves_the_portal_names_no_drug_or_amount_and_the_inbox_says_it_all(
    code: str, language: str
) -> None:
    context, details = SAMPLE_CONTEXT[code]
    with translation.override(language):
        message = services.render_message(kinds.get_kind(code), context)

    outside = " ".join((message.subject, message.body_text, message.body_html, message.sms_text))
    assert DRUG not in outside and "Examplestatin" not in outside
    assert "$" not in outside
    for detail in details:
        if language == "en" or not detail.islower():  # English phrases are checked in English
            assert detail in message.inbox_text


@pytest.mark.parametrize("code", sorted(SAMPLE_CONTEXT))
@pytest.mark.parametrize("language", ["en", "es"])
def test_what_leaves_the_portal_names_no_order_number_tracking_or_amount_digits(
    code: str, language: str
) -> None:
    """An order number or a tracking number is the key to an order's details over the phone;
    an amount without its "$" is still the amount."""
    context, _details = SAMPLE_CONTEXT[code]
    with translation.override(language):
        message = services.render_message(kinds.get_kind(code), context)

    outside = " ".join((message.subject, message.body_text, message.body_html, message.sms_text))
    for secret in (
        "MO-123456",
        "123456",
        "1Z999",
        "UPS",
        "12.50",
        "12,50",
        "250",
        "3,000",
        "3.000",
    ):
        assert secret not in outside, (code, secret)
