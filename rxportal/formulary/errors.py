"""Formulary errors with stable dotted codes."""

from __future__ import annotations

from rxportal.core.errors import NotFound


class DrugNotFound(NotFound):
    """No drug has this public id (the drug page answers 404)."""

    code = "formulary.drug_not_found"
