"""Member pages of the orders app: thin edges over its selectors and services."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rxportal.core import clock
from rxportal.members.access import member_page
from rxportal.orders import selectors, services
from rxportal.orders.errors import (
    OrderCannotBeCancelled,
    ShippingAddressInvalid,
    ShippingAddressLimitReached,
)
from rxportal.orders.forms import CancelOrderForm, OrderFilterForm, ShippingAddressForm
from rxportal.orders.models import MailOrder, ShippingAddress
from rxportal.prescriptions.services import cancel_refill_order
from rxportal.records.reads import reader_for_page, record_phi_read

ACTION_ORDERS_LISTED = "phi.mail_orders.viewed"
ACTION_ORDER_VIEWED = "phi.mail_order.viewed"
ACTION_ADDRESSES_VIEWED = "phi.shipping_addresses.viewed"


def _order_or_404(request: HttpRequest, public_id: uuid.UUID) -> MailOrder:
    order = selectors.find_mail_order(viewer=request.user, public_id=public_id, today=clock.today())
    if order is None:
        raise Http404
    return order


def _audit_order_viewed(request: HttpRequest, order: MailOrder, **details: str) -> None:
    """Every page that shows an order (its drugs, for whom) records one PHI-view event."""
    record_phi_read(
        reader_for_page(request),
        action=ACTION_ORDER_VIEWED,
        subject=order,
        details={"status": order.status, **details},
    )


def _address_or_404(request: HttpRequest, public_id: uuid.UUID) -> ShippingAddress:
    address = selectors.find_shipping_address(
        member=request.member,  # type: ignore[attr-defined]
        public_id=public_id,
    )
    if address is None:
        raise Http404
    return address


# --- Orders ------------------------------------------------------------------------------------


@member_page
def order_list(request: HttpRequest) -> HttpResponse:
    """Mail orders of the viewer and the family they may see, 18 months, newest first."""
    form = OrderFilterForm(request.GET or None)
    history = selectors.list_mail_orders(
        viewer=request.user, today=clock.today(), only_open=form.only_open
    )
    record_phi_read(
        reader_for_page(request),
        action=ACTION_ORDERS_LISTED,
        subject=request.member,  # type: ignore[attr-defined]
        details={
            "filter": OrderFilterForm.OPEN if form.only_open else OrderFilterForm.ALL,
            "count": len(history.orders),
        },
    )
    return render(
        request,
        "orders/order_list.html",
        {"form": form, "history": history, "only_open": form.only_open},
    )


@member_page
def order_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One order: status timeline, lines, ship-to, expected delivery, tracking."""
    order = _order_or_404(request, public_id)
    _audit_order_viewed(request, order)
    return render(
        request,
        "orders/order_detail.html",
        {"order": order, "timeline": selectors.compute_order_timeline(order)},
    )


@member_page
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """GET: confirm the cancellation and choose a reason. POST: cancel."""
    order = _order_or_404(request, public_id)
    if request.method == "GET" and not order.can_cancel:
        messages.error(request, _("This order can no longer be cancelled."))
        return redirect("orders:detail", public_id=order.public_id)
    form = CancelOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:  # the order and what its refill took (refills, fill dates), in one transaction
            cancel_refill_order(
                order=order,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                now=clock.now(),
            )
        except OrderCannotBeCancelled as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Order %(number)s is cancelled. Any refills it used are available again.")
                % {"number": order.order_number},
            )
        return redirect("orders:detail", public_id=order.public_id)
    _audit_order_viewed(request, order, page="cancel")
    return render(request, "orders/order_cancel.html", {"order": order, "form": form})


# --- Shipping addresses ------------------------------------------------------------------------


@member_page
def address_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    addresses = list(selectors.list_shipping_addresses(member=member))
    record_phi_read(
        reader_for_page(request),
        action=ACTION_ADDRESSES_VIEWED,
        subject=member,
        details={"count": len(addresses)},
    )
    return render(
        request,
        "orders/address_list.html",
        {"addresses": addresses, "member": member},
    )


@member_page
@require_http_methods(["GET", "POST"])
def address_add(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    form = ShippingAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_shipping_address(member=member, actor=request.user, **form.cleaned_data)
        except ShippingAddressInvalid as error:
            form.add_error(error.details.get("field"), error.message)
        except ShippingAddressLimitReached as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Address saved."))
            return redirect("orders:addresses")
    return render(request, "orders/address_form.html", {"form": form})


@member_page
@require_POST
def address_set_default(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    address = _address_or_404(request, public_id)
    services.set_default_shipping_address(address=address, actor=request.user)
    messages.success(request, _("Your mail orders will go to this address from now on."))
    return redirect("orders:addresses")


@member_page
@require_http_methods(["GET", "POST"])
def address_remove(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """GET: confirm. POST: remove."""
    address = _address_or_404(request, public_id)
    if request.method == "POST":
        services.remove_shipping_address(address=address, actor=request.user)
        messages.success(request, _("Address removed."))
        return redirect("orders:addresses")
    return render(request, "orders/address_remove.html", {"address": address})
