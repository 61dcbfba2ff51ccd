"""The Python-rendered widgets give the HTML of Django's own widget templates (apart from
the line breaks Django's select template puts between options)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django import forms

from rxportal.core import widgets

CHOICES = [("", "Any"), ("paid", "Paid"), ("a&b", "Tom & “Jerry” <x>")]


@pytest.mark.parametrize(
    ("fast", "django", "value", "attrs"),
    [
        (widgets.TextInput(), forms.TextInput(), None, {}),
        (widgets.TextInput(), forms.TextInput(), 'say "hi" <b>', {"aria-invalid": "true"}),
        (
            widgets.TextInput(attrs={"maxlength": 80, "required": True, "disabled": False}),
            forms.TextInput(attrs={"maxlength": 80, "required": True, "disabled": False}),
            "x",
            {"id": "id_x"},
        ),
        (widgets.DateInput(format="%Y-%m-%d"), forms.DateInput(format="%Y-%m-%d"), None, {}),
        (
            widgets.DateInput(format="%Y-%m-%d"),
            forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            dt.date(2026, 1, 31),
            {"aria-describedby": "a b"},
        ),
        (widgets.HiddenInput(), forms.HiddenInput(), "abc", {}),
        (widgets.Select(choices=CHOICES), forms.Select(choices=CHOICES), "paid", {"id": "s"}),
        (widgets.Select(choices=CHOICES), forms.Select(choices=CHOICES), "a&b", {}),
        (widgets.Select(choices=CHOICES), forms.Select(choices=CHOICES), None, {}),
    ],
)
def test_same_html_as_djangos_templates(
    fast: forms.Widget, django: forms.Widget, value: Any, attrs: dict[str, Any]
) -> None:
    if isinstance(fast, widgets.DateInput):
        django.input_type = "date"

    expected = re.sub(r">\s+<", "><", str(django.render("field", value, attrs)))

    assert str(fast.render("field", value, attrs)) == expected
