"""Errors of prescriptions and refills, with stable dotted codes.

Messages never name a drug or a person (no PHI in exception messages); ``details`` carries the
prescription's public id so the page can say which one.
"""

from __future__ import annotations

from rxportal.core.errors import DomainError


class RefillError(DomainError):
    code = "refill.invalid"


class RefillNotFound(RefillError):
    """Unknown, not visible to the actor, or not the chosen person's prescription."""

    code = "refill.not_found"


class RefillNothingSelected(RefillError):
    code = "refill.nothing_selected"


class RefillTooMany(RefillError):
    code = "refill.too_many"


class RefillTooSoon(RefillError):
    code = "refill.too_soon"


class RefillOnOrder(RefillError):
    """The prescription is in a mail order that is neither delivered nor cancelled."""

    code = "refill.on_order"


class RefillNoneLeft(RefillError):
    code = "refill.none_left"


class RefillExpired(RefillError):
    code = "refill.expired"


class RefillScheduleII(RefillError):
    """A Schedule II controlled substance: no refills (and no automatic refills) by law."""

    code = "refill.schedule_ii"


class RefillControlledLimit(RefillError):
    """A Schedule III-V prescription with five refills used or written over six months ago."""

    code = "refill.controlled_limit"


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
