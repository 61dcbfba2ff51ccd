"""Errors of prescriptions and refills, with stable dotted codes.

Messages never name a drug or a person (no PHI in exception messages); ``details`` carries the
prescription's public id so the page can say which one.

The selectors raise the refill errors with their code and details only; the sentence the pages
show is worded here (``default_message``, from the details, in the active language), so the
selectors carry no translated text and an API answers with the code and details.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rxportal.core.errors import DomainError
from rxportal.prescriptions import domain


def _date(iso: str) -> str:
    return date_format(dt.date.fromisoformat(iso), "DATE_FORMAT")


class RefillError(DomainError):
    code = "refill.invalid"

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message or self.default_message(details), **details)

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _("We could not find that prescription. Choose from your list.")


class RefillNotFound(RefillError):
    """Unknown, not visible to the actor, or not the chosen person's prescription."""

    code = "refill.not_found"


class RefillNothingSelected(RefillError):
    code = "refill.nothing_selected"

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _("Choose at least one prescription to refill.")


class RefillTooMany(RefillError):
    code = "refill.too_many"

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _("Choose at most %(count)d prescriptions at a time.") % {
            "count": domain.MAX_LINES_PER_REFILL
        }


class RefillTooSoon(RefillError):
    """``next_refill_date`` (ISO) in the details: the first day it can be refilled."""

    code = "refill.too_soon"

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _("It is too soon to refill this prescription. You can refill it from %(date)s.") % {
            "date": _date(details["next_refill_date"])
        }


class RefillOnOrder(RefillError):
    """The prescription is in a mail order that is neither delivered nor cancelled."""

    code = "refill.on_order"

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _(
            "This prescription is already in an open mail order. You can refill it once "
            "that order is delivered, or cancel the order first: see your mail orders."
        )


class RefillNoneLeft(RefillError):
    code = "refill.none_left"

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _("This prescription has no refills left. Request a renewal from your prescriber.")


class RefillExpired(RefillError):
    code = "refill.expired"

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _("This prescription has expired. Request a renewal from your prescriber.")


class RefillScheduleII(RefillError):
    """A Schedule II controlled substance: no refills (and no automatic refills) by law."""

    code = "refill.schedule_ii"

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _(
            "This is a controlled substance that cannot be refilled. Ask your prescriber "
            "about a new prescription."
        )


class RefillScheduleIIByLaw(RefillScheduleII):
    """A drug of DEA schedule CII itself: federal law forbids its refills (same code)."""

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _(
            "This is a Schedule II controlled substance: federal law does not allow "
            "refills. Request a new prescription from your prescriber."
        )


class RefillControlledLimit(RefillError):
    """A Schedule III-V prescription with five refills used or written over six months ago
    (``refill_deadline``, ISO, in the details)."""

    code = "refill.controlled_limit"

    @classmethod
    def default_message(cls, details: dict[str, Any]) -> str:
        return _(
            "This controlled substance can be refilled at most %(count)d times, and only "
            "until %(date)s (six months after it was written). Request a new prescription "
            "from your prescriber."
        ) % {"count": domain.CONTROLLED_MAX_REFILLS, "date": _date(details["refill_deadline"])}


class RefillBadQuantity(RefillError):
    code = "refill.bad_quantity"


class RefillPharmacyRequired(RefillError):
    code = "refill.pharmacy_required"


class RefillPharmacyNotInNetwork(RefillError):
    code = "refill.pharmacy_not_in_network"


class RefillAddressNotFound(RefillError):
    code = "refill.address_not_found"


class RefillNotCovered(RefillError):
    code = "refill.not_covered"


class PrescriptionNotFound(DomainError):
    code = "prescription.not_found"


class RenewalError(DomainError):
    code = "renewal.invalid"


class RenewalNotNeeded(RenewalError):
    """The prescription still has refills and has not expired."""

    code = "renewal.not_needed"
