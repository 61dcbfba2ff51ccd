"""Mail-order errors with stable codes."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class OrderHasNoLines(DomainError):
    code = "order.no_lines"


class OrderLineInvalid(DomainError):
    """A quantity that is not positive or a days supply outside 1-365."""

    code = "order.invalid_line"


class PrescriptionNotInFamily(DomainError):
    """A line's prescription, or the member placing the order, is outside the patient's family."""

    code = "order.prescription_not_in_family"


class OrderMixesPatients(DomainError):
    """A line's prescription is for someone other than the order's patient: one order carries
    one person's prescriptions, so who may see it follows from that one person."""

    code = "order.mixed_patients"


class ShippingAddressNotOwned(DomainError):
    code = "order.address_not_owned"


class ShipToMissing(DomainError):
    """No address was given and the member has none on file."""

    code = "order.no_ship_to"


class OrderCannotBeCancelled(DomainError):
    code = "order.cannot_cancel"


class CancelReasonInvalid(DomainError):
    code = "order.invalid_cancel_reason"


class ShippingAddressInvalid(DomainError):
    """Bad state or ZIP; ``details['field']`` names the field."""

    code = "order.address_invalid"


class ShippingAddressLimitReached(DomainError):
    code = "order.address_limit"
