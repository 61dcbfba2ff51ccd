"""Architecture: the member-record selectors return facts (codes, amounts, dates), never
translated text. The pages word them (views, template filters, ``presentation`` modules); the
JSON API serializes them and the FHIR mappers map them, so no edge parses a sentence back.

Covered: the selector modules the APIs read a member's records through. Not covered yet: the
sponsor, staff, analytics, what-if, accounts, content and demo selectors (not member records,
and no API reads them); ``pricing.explain`` and ``orders.models.order_reason_label`` are the
page side's wording, not selectors.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
from pathlib import Path

import pytest

import rxportal

PACKAGE = Path(rxportal.__file__).parent

MEMBER_RECORD_SELECTORS = [
    "rxportal.prescriptions.selectors",
    "rxportal.orders.selectors",
    "rxportal.claims.selectors",
    "rxportal.members.selectors",
    "rxportal.web.selectors",
    "rxportal.plans.selectors",
    "rxportal.pricing.selectors",
    "rxportal.pricing.selectors.estimates",
    "rxportal.pricing.selectors.comparison",
    "rxportal.pricing.selectors.quotes",
    "rxportal.notifications.selectors",
    "rxportal.formulary.selectors",
]

TRANSLATION = "django.utils.translation"


def _source(module: str) -> Path:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _imports_translation(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
            node.module == TRANSLATION
            or (
                node.module == "django.utils"
                and any(alias.name == "translation" for alias in node.names)
            )
        ):
            return True
        if isinstance(node, ast.Import) and any(
            alias.name.startswith(TRANSLATION) for alias in node.names
        ):
            return True
    return False


@pytest.mark.parametrize("module", MEMBER_RECORD_SELECTORS)
def test_a_member_record_selector_imports_no_translation(module: str) -> None:
    tree = ast.parse(_source(module).read_text())

    assert not _imports_translation(tree), f"{module}: word it on the page side, return a code"


@pytest.mark.parametrize("module", MEMBER_RECORD_SELECTORS)
def test_a_member_record_selector_returns_no_label_fields(module: str) -> None:
    """A display label (``tier_label``, ``channel_label``...) is the page's: return the code."""
    loaded = importlib.import_module(module)
    labels = [
        f"{name}.{field.name}"
        for name, value in vars(loaded).items()
        if dataclasses.is_dataclass(value)
        and isinstance(value, type)
        and value.__module__ == module
        for field in dataclasses.fields(value)
        if field.name.endswith(("_label", "_text", "_message"))
    ]
    properties = [
        f"{name}.{attr}"
        for name, value in vars(loaded).items()
        if dataclasses.is_dataclass(value)
        and isinstance(value, type)
        and value.__module__ == module
        for attr, member in vars(value).items()
        if isinstance(member, property) and attr.endswith(("_label", "_text", "_message"))
    ]

    assert labels + properties == []


def test_the_check_sees_a_translation_import() -> None:
    assert _imports_translation(ast.parse("from django.utils.translation import gettext as _"))
    assert _imports_translation(ast.parse("from django.utils import translation"))
    assert not _imports_translation(ast.parse("from django.utils import timezone"))
