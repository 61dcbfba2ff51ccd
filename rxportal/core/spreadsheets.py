"""Spreadsheet-safe CSV cells, for every CSV the portal writes (claims, drug-trend reports)."""

from __future__ import annotations

# Cells a spreadsheet would read as a formula (OWASP "CSV injection"), tab and CR included.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def make_csv_safe(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with ``'`` so it stays text."""
    if value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value
