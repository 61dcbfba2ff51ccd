"""Mail-order errors with stable codes."""

from __future__ import annotations

from rxportal.core.errors import DomainError


class OrderHasNoLines(DomainError):
    code = "order.no_lines"


class OrderLineInvalid(DomainError):
    """A quantity that is not positive or a days supply outside 1-365."""

    code = "order.invalid_line"


class PrescriptionNotInFamily(DomainError):
    """A line's prescription belongs to someone outside the ordering member's family."""

    code = "order.prescription_not_in_family"


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
