"""The `money` template filter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from rxportal.web.templatetags.money import money


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("0"), "$0.00"),
        (Decimal("5"), "$5.00"),
        (Decimal("1234.56"), "$1,234.56"),
        (Decimal("1234567.891"), "$1,234,567.89"),
        (Decimal("0.005"), "$0.01"),  # half-up, like a receipt
        (Decimal("-12.50"), "-$12.50"),
    ],
)
def test_money_formats_dollars_and_cents(amount: Decimal, shown: str) -> None:
    assert money(amount) == shown


def test_money_renders_nothing_for_no_amount() -> None:
    assert money(None) == ""


@pytest.mark.parametrize("not_money", [12.5, 12, "12.50"])
def test_money_refuses_anything_but_decimal(not_money: object) -> None:
    with pytest.raises(TypeError):
        money(not_money)  # type: ignore[arg-type]


def test_money_is_the_same_in_spanish() -> None:
    from django.utils import translation

    with translation.override("es"):
        rendered = Template("{% load money %}{{ amount|money }}").render(
            Context({"amount": Decimal("1234.5")})
        )

    assert rendered == "$1,234.50"
