"""Formulary errors with stable dotted codes."""

from __future__ import annotations

from rxportal.core.errors import NotFound
from rxportal.core.importing import DataImportError


class DrugNotFound(NotFound):
    """No drug has this public id (the drug page answers 404)."""

    code = "formulary.drug_not_found"


class FormularyChangeNoticeTooShort(DataImportError):
    """A formulary import asked for a coverage change to take effect with less than the 30
    days' notice members are owed (domain.CHANGE_NOTICE_DAYS)."""

    code = "formulary.change_notice_too_short"
