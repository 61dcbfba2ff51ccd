"""Member pages of the prescriptions app: thin edges over its selectors and services.

The refill flow: the list (choose prescriptions, POST) -> the delivery choice (mail or pick-up,
POST) -> the review with each line's estimated cost and the total (POST) -> confirm (POST,
with an idempotency key from the review page) -> redirect to the confirmation page (GET).
Every step works without JavaScript.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from rxportal.core import clock
from rxportal.members.access import member_page
from rxportal.prescriptions import errors
from rxportal.prescriptions.domain import Fulfilment
from rxportal.prescriptions.forms import (
    ADDRESS_NOT_FOUND,
    ADDRESS_ON_FILE,
    PHARMACY_NOT_IN_NETWORK,
    AutoRefillForm,
    RefillChoiceForm,
    RefillConfirmForm,
    RefillSelectionForm,
)
from rxportal.prescriptions.selectors import (
    PersonPrescriptions,
    RefillSelection,
    find_delivery_address,
    find_network_pharmacy,
    find_refill_request,
    get_refill_review,
    get_refill_selection,
    list_delivery_addresses,
    list_pickup_pharmacies,
    list_prescriptions_by_person,
)
from rxportal.prescriptions.services import (
    RefillLineInput,
    request_refill,
    request_renewal,
    set_auto_refill,
)
from rxportal.records.reads import reader_for_page, record_phi_read


def _audit_view(request: HttpRequest, action: str, subject: Any, **details: Any) -> None:
    record_phi_read(reader_for_page(request), action=action, subject=subject, details=details)


def _render_list(
    request: HttpRequest,
    *,
    refill_error: errors.RefillError | None = None,
    selected: list[uuid.UUID] | None = None,
    status: int = 200,
) -> HttpResponse:
    groups = list_prescriptions_by_person(viewer=request.user, today=clock.today())
    _audit_view(
        request,
        "phi.prescriptions.viewed",
        request.member,  # type: ignore[attr-defined]
        people=len(groups),
        prescriptions=sum(len(group.rows) for group in groups),
    )
    context = {
        "groups": groups,
        "refill_error": _error_message(refill_error, groups) if refill_error else "",
        "selected": {str(key) for key in selected or ()},
    }
    return render(request, "prescriptions/list.html", context, status=status)


def _error_message(error: errors.RefillError, groups: list[PersonPrescriptions]) -> str:
    """The error's message, prefixed with the drug it is about when we know it."""
    wanted = str(error.details.get("prescription", ""))
    for group in groups:
        for row in group.rows:
            if str(row.public_id) == wanted:
                return _("%(drug)s: %(message)s") % {
                    "drug": row.prescription.drug.display_name,
                    "message": error.message,
                }
    return error.message


@require_safe
@member_page
def prescription_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request)


# --- The refill steps -----------------------------------------------------------------------------


def _selection_or_error(
    request: HttpRequest, form: RefillSelectionForm
) -> RefillSelection | HttpResponse:
    """The chosen, refillable prescriptions, or the list page with a message."""
    if not form.is_valid() and form.has_error("member"):
        return _render_list(request, refill_error=errors.RefillNotFound(_form_error(form)))
    if form.has_error("prescription"):
        return _render_list(request, refill_error=errors.RefillNotFound(_form_error(form)))
    try:
        return get_refill_selection(
            viewer=request.user,
            member_public_id=form.cleaned_data["member"],
            prescription_public_ids=form.cleaned_data["prescription"],
            today=clock.today(),
        )
    except errors.RefillError as error:
        return _render_list(
            request, refill_error=error, selected=form.cleaned_data.get("prescription")
        )


def _form_error(form: RefillSelectionForm) -> str:
    for name in ("member", "prescription"):
        if form.has_error(name):
            return str(form.errors[name][0])
    return _("We could not find that prescription. Choose from your list.")


def _render_choice(
    request: HttpRequest, selection: RefillSelection, form: RefillChoiceForm
) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    _audit_view(
        request,
        "phi.refill_selection.viewed",
        selection.member,
        prescriptions=len(selection.rows),
    )
    context = {
        "selection": selection,
        "form": form,
        "addresses": list_delivery_addresses(member=member),
        "address_on_file": member,
        "ADDRESS_ON_FILE": ADDRESS_ON_FILE,
        "pharmacies": list_pickup_pharmacies(member=selection.member),
    }
    return render(request, "prescriptions/refill_choose.html", context)


@require_POST
@member_page
def refill_choose(request: HttpRequest) -> HttpResponse:
    """Step 1: the prescriptions chosen on the list; asks how to get them."""
    selection_form = RefillSelectionForm(request.POST)
    selection = _selection_or_error(request, selection_form)
    if isinstance(selection, HttpResponse):
        return selection
    initial = {
        "fulfilment": request.POST.get("fulfilment", Fulfilment.MAIL.value),
        "address": request.POST.get("address", ADDRESS_ON_FILE),
        "pharmacy": request.POST.get("pharmacy", ""),
    }
    form = RefillChoiceForm(initial=initial)
    return _render_choice(request, selection, form)


@require_POST
@member_page
def refill_review(request: HttpRequest) -> HttpResponse:
    """Step 2: what each refill will cost, and the total, before anything is placed."""
    form = RefillChoiceForm(request.POST)
    selection = _selection_or_error(request, form)
    if isinstance(selection, HttpResponse):
        return selection
    if not form.is_valid():
        return _render_choice(request, selection, form)
    member = request.member  # type: ignore[attr-defined]
    fulfilment = Fulfilment(form.cleaned_data["fulfilment"])
    pharmacy = address = None
    if fulfilment is Fulfilment.PICKUP:
        pharmacy = find_network_pharmacy(
            member=selection.member, public_id=form.cleaned_data["pharmacy"]
        )
        if pharmacy is None:
            form.add_error("pharmacy", PHARMACY_NOT_IN_NETWORK)
            return _render_choice(request, selection, form)
    elif form.cleaned_data["address"] is not None:
        address = find_delivery_address(member=member, public_id=form.cleaned_data["address"])
        if address is None:
            form.add_error("address", ADDRESS_NOT_FOUND)
            return _render_choice(request, selection, form)
    review = get_refill_review(
        selection=selection, fulfilment=fulfilment, pharmacy=pharmacy, address=address
    )
    _audit_view(
        request,
        "phi.refill_estimate.viewed",
        selection.member,
        prescriptions=len(review.lines),
        fulfilment=fulfilment.value,
    )
    context = {
        "review": review,
        "form": form,
        "address_on_file": member,
        "idempotency_key": uuid.uuid4(),
    }
    return render(request, "prescriptions/refill_review.html", context)


@require_POST
@member_page
def refill_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: place the refill (once per idempotency key), then show the confirmation."""
    form = RefillConfirmForm(request.POST)
    if not form.is_valid():
        if form.has_error("member") or form.has_error("prescription"):
            return _render_list(request, refill_error=errors.RefillNotFound(_form_error(form)))
        messages.error(request, _("Something was missing from your refill. Please start again."))
        return redirect("prescriptions:list")
    data = form.cleaned_data
    try:
        refill = request_refill(
            actor=request.user,
            member_id=data["member"],
            lines=[RefillLineInput(prescription_id=key) for key in data["prescription"]],
            fulfilment=data["fulfilment"],
            pharmacy_id=data["pharmacy"],
            address_id=data["address"],
            idempotency_key=data["idempotency_key"],
            today=clock.today(),
            now=clock.now(),
        )
    except errors.RefillError as error:
        return _render_list(request, refill_error=error, selected=data["prescription"])
    return redirect("prescriptions:refill_detail", public_id=refill.public_id)


@require_safe
@member_page
def refill_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The confirmation page of a refill request (for the viewer or family they act for)."""
    refill = find_refill_request(viewer=request.user, public_id=public_id, today=clock.today())
    if refill is None:
        raise Http404
    _audit_view(request, "phi.refill_request.viewed", refill, lines=len(refill.lines.all()))
    return render(request, "prescriptions/refill_detail.html", {"refill": refill})


# --- Automatic refills and renewals ----------------------------------------------------------------


def _back_to(public_id: uuid.UUID) -> str:
    return f"{reverse('prescriptions:list')}#rx-{public_id}"


@require_POST
@member_page
def auto_refill(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    form = AutoRefillForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to turn automatic refills on or off."))
        return redirect(_back_to(public_id))
    try:
        rx = set_auto_refill(
            actor=request.user,
            prescription_id=public_id,
            enabled=form.is_enabling,
            today=clock.today(),
        )
    except errors.PrescriptionNotFound:
        raise Http404 from None
    except errors.RefillError as error:
        messages.error(request, error.message)
        return redirect(_back_to(public_id))
    if rx.auto_refill:
        text = _("Automatic refills are on for %(drug)s: we will mail a refill when it is due.") % {
            "drug": rx.drug.display_name
        }
    else:
        text = _("Automatic refills are off for %(drug)s.") % {"drug": rx.drug.display_name}
    messages.success(request, text)
    return redirect(_back_to(public_id))


@require_POST
@member_page
def renewal(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    try:
        renewal_request = request_renewal(
            actor=request.user, prescription_id=public_id, today=clock.today()
        )
    except errors.PrescriptionNotFound:
        raise Http404 from None
    except errors.RenewalError as error:
        messages.error(request, error.message)
        return redirect(_back_to(public_id))
    rx = renewal_request.prescription
    messages.success(
        request,
        _("Renewal requested on %(date)s: we asked %(prescriber)s to renew %(drug)s.")
        % {
            "date": date_format(timezone.localdate(renewal_request.created_at), "DATE_FORMAT"),
            "prescriber": rx.prescriber_name,
            "drug": rx.drug.display_name,
        },
    )
    return redirect(_back_to(public_id))
