"""Reads of mail orders and shipping addresses, scoped to the signed-in viewer.

Which family members' orders a viewer sees is decided by
``members.selectors.list_family_members_visible_to`` and nowhere else, and an order is judged by
its patient, never by who placed it: ``_visible_orders`` is the one queryset every read below
starts from (so a revoked grant hides an order everywhere at once).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from rxportal.core.db_router import reading_from_replica
from rxportal.members.models import Member
from rxportal.members.selectors import list_family_members_visible_to
from rxportal.orders import domain
from rxportal.orders.models import (
    MailOrder,
    MailOrderEvent,
    MailOrderLine,
    OrderStatus,
    ShippingAddress,
)

Viewer = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class OrderHistory:
    orders: list[MailOrder]
    since: dt.date  # the first day of the history window
    older_count: int  # orders before the window, not shown


def _history_start(today: dt.date) -> dt.datetime:
    start = domain.compute_history_start(today=today)
    return timezone.make_aware(dt.datetime.combine(start, dt.time.min))


def _visible_member_ids(viewer: Viewer, today: dt.date) -> list[int]:
    return [member.pk for member in list_family_members_visible_to(viewer=viewer, today=today)]


def _visible_orders(member_ids: list[int]) -> QuerySet[MailOrder]:
    """Orders whose patients are all among ``member_ids`` (the people the viewer may see).

    An order's ``member`` is its patient (``place_mail_order`` keeps every line that patient's),
    but the lines are the last word: an order with any line for someone the viewer may not see
    (rows stored before orders were kept to one patient) is not shown at all, not even in part.
    """
    hidden_line = MailOrderLine.objects.filter(order=OuterRef("pk")).exclude(
        prescription__member_id__in=member_ids
    )
    return MailOrder.objects.filter(member_id__in=member_ids).filter(~Exists(hidden_line))


def _lines_prefetch() -> Any:  # django-stubs types Prefetch by its lookup string
    return Prefetch(
        "lines",
        queryset=MailOrderLine.objects.select_related(
            "prescription__drug", "prescription__member"
        ).order_by("id"),
    )


def _with_attention(orders: list[MailOrder], today: dt.date) -> list[MailOrder]:
    """Set each order's ``attention`` (late, on hold or None) for ``today``."""
    for order in orders:
        order.attention = domain.compute_attention(
            status=order.status, expected_delivery=order.expected_delivery, today=today
        )
    return orders


def list_mail_orders(*, viewer: Viewer, today: dt.date, only_open: bool = False) -> OrderHistory:
    """The viewer's and their visible family's mail orders of the last 18 months, newest first,
    with their member and lines (drug, for whom); ``only_open`` leaves out delivered and
    cancelled ones. ``older_count`` says how many older orders exist and are not shown."""
    member_ids = _visible_member_ids(viewer, today)  # from the primary: who may be seen
    since = _history_start(today)
    base = _visible_orders(member_ids)
    orders = base.filter(ordered_at__gte=since)
    if only_open:
        orders = orders.filter(status__in=[str(s) for s in domain.OPEN_STATUSES])
    with reading_from_replica():  # a history: the primary's after a write (read your own)
        listed = list(
            orders.select_related("member")
            .prefetch_related(_lines_prefetch())
            .order_by("-ordered_at", "-id")
        )
        older_count = base.filter(ordered_at__lt=since).count() if member_ids else 0
    return OrderHistory(
        orders=_with_attention(listed, today), since=since.date(), older_count=older_count
    )


# What the dashboard shows of an order on its way (``with_lines=False``).
_IN_PROGRESS_FIELDS = (
    "public_id",
    "order_number",
    "member",
    "status",
    "status_reason",
    "carrier",
    "tracking_number",
    "ordered_at",
    "expected_delivery",
)


def list_orders_in_progress(
    *,
    viewer: Viewer,
    today: dt.date,
    limit: int | None = None,
    with_lines: bool = True,
) -> list[MailOrder]:
    """Orders of the viewer and their visible family that are on their way (neither delivered
    nor cancelled), placed in the last 18 months, the soonest expected first (orders without an
    expected delivery, such as those on hold, last), then the newest, each with its
    ``attention`` for ``today``. With ``limit``: every order that needs attention (late or on
    hold, however many) and the first of the others up to ``limit`` in all, in that order.

    Each order has ``member`` (its patient) set and ``expected_delivery``, ``carrier``,
    ``tracking_number`` and ``tracking_url`` to show. With ``with_lines`` (the default) its
    lines (drug, for whom: ``patient_first_names``) are loaded too, one more query; without,
    one query and only ``_IN_PROGRESS_FIELDS`` are loaded (the dashboard).
    """
    members = list_family_members_visible_to(viewer=viewer, today=today)
    if not members:
        return []
    by_pk = {member.pk: member for member in members}
    orders = (
        _visible_orders(list(by_pk))
        .filter(
            ordered_at__gte=_history_start(today),
            status__in=[str(s) for s in domain.OPEN_STATUSES],
        )
        .order_by(F("expected_delivery").asc(nulls_last=True), "-ordered_at", "-id")
    )
    if with_lines:
        orders = orders.prefetch_related(_lines_prefetch())
    else:
        orders = orders.only(*_IN_PROGRESS_FIELDS)
    # No LIMIT in SQL: an order on hold (no expected date) sorts last and must not drop off.
    result = _with_attention(list(orders), today)
    if limit is not None:
        room = max(limit - sum(order.attention is not None for order in result), 0)
        kept = []
        for order in result:
            if order.attention is not None:
                kept.append(order)
            elif room:
                kept.append(order)
                room -= 1
        result = kept
    for order in result:
        order.member = by_pk[order.member_id]
    return result


def find_mail_order(
    *, viewer: Viewer, public_id: uuid.UUID | str, today: dt.date
) -> MailOrder | None:
    """One order the viewer may see (its patient is the viewer or a visible family member), with
    its member, lines and events; None for anyone else's order or an unknown id. Every order
    page and action (detail, cancel) goes through here."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    member_ids = _visible_member_ids(viewer, today)
    order = (
        _visible_orders(member_ids)
        .filter(public_id=wanted)
        .select_related("member")
        .prefetch_related(
            _lines_prefetch(),
            Prefetch("events", queryset=MailOrderEvent.objects.order_by("occurred_at", "id")),
        )
        .first()
    )
    return _with_attention([order], today)[0] if order is not None else None


@dataclass(frozen=True)
class TimelineEntry:
    """A step of the status timeline: its status and reason codes (the page words them with
    the ``orders_text`` template filters)."""

    step: domain.TimelineStep

    @property
    def state(self) -> str:
        return self.step.state.value

    @property
    def status(self) -> str:
        """The step's OrderStatus value."""
        return str(self.step.status)

    @property
    def reason(self) -> str:
        """Why the order stopped at this step (a hold or a cancellation reason code); ""
        for an ordinary step."""
        return self.step.reason or ""


def compute_order_timeline(order: MailOrder) -> list[TimelineEntry]:
    """The status timeline of an order fetched by ``find_mail_order`` (events prefetched)."""
    steps = domain.compute_timeline(
        status=order.status,
        events=[
            domain.EventRecord(
                status=event.status, reason=event.reason, occurred_at=event.occurred_at
            )
            for event in order.events.all()
        ],
    )
    return [TimelineEntry(step=step) for step in steps]


def list_shipping_addresses(*, member: Member) -> QuerySet[ShippingAddress]:
    """The member's saved shipping addresses, the default first, then the newest."""
    return ShippingAddress.objects.filter(member=member).order_by(
        "-is_default", "-created_at", "-id"
    )


def find_shipping_address(*, member: Member, public_id: uuid.UUID | str) -> ShippingAddress | None:
    """One of the member's own saved addresses by public id; None for anyone else's."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return ShippingAddress.objects.filter(member=member, public_id=wanted).first()


def find_default_shipping_address(*, member: Member) -> ShippingAddress | None:
    return ShippingAddress.objects.filter(member=member, is_default=True).first()


# --- Open orders of a prescription (what holds its next refill) --------------------------------


def _open_order_filter(today: dt.date) -> dict[str, Any]:
    """An order in progress, as ``list_orders_in_progress`` shows it: neither delivered nor
    cancelled, placed in the history window (so the member can see the order that holds a
    refill on the orders page)."""
    return {
        "order__status__in": [str(s) for s in domain.OPEN_STATUSES],
        "order__ordered_at__gte": _history_start(today),
    }


def list_open_order_lines(*, prescription: Any, today: dt.date) -> QuerySet[MailOrderLine]:
    """Lines of open orders for ``prescription`` (a pk, or ``OuterRef("pk")`` inside a
    prescriptions query, for an ``Exists``). No viewer check: the caller has already read the
    prescription for its viewer, and an order carries its own patient's prescriptions only."""
    return MailOrderLine.objects.filter(prescription=prescription, **_open_order_filter(today))


def list_prescriptions_with_open_orders(*, prescription_ids: list[int], today: dt.date) -> set[int]:
    """Which of these prescriptions are in an open order (one query; no viewer check, as
    ``list_open_order_lines``)."""
    if not prescription_ids:
        return set()
    return set(
        MailOrderLine.objects.filter(
            prescription_id__in=prescription_ids, **_open_order_filter(today)
        ).values_list("prescription_id", flat=True)
    )


# --- The service center, for a caller it has verified (rxportal.staff.services.service_center)


def _is_pbm_staff(viewer: Viewer) -> bool:
    return bool(
        viewer.is_authenticated and viewer.is_active and getattr(viewer, "is_pbm_staff", False)
    )


def list_mail_orders_for_staff(*, viewer: Viewer, member: Member, today: dt.date) -> OrderHistory:
    """One member's own mail orders of the last 18 months, newest first, with their lines, for
    PBM staff (empty for anyone else). The caller check and the audit are the staff console's
    (``staff.services.service_center``); orders with a line for someone else are left out, as
    for members.
    """
    since = _history_start(today)
    if not _is_pbm_staff(viewer):
        return OrderHistory(orders=[], since=since.date(), older_count=0)
    base = _visible_orders([member.pk])
    return OrderHistory(
        orders=list(
            base.filter(ordered_at__gte=since)
            .select_related("member")
            .prefetch_related(_lines_prefetch())
            .order_by("-ordered_at", "-id")
        ),
        since=since.date(),
        older_count=base.filter(ordered_at__lt=since).count(),
    )


def find_mail_order_for_staff(
    *, viewer: Viewer, member: Member, public_id: uuid.UUID
) -> MailOrder | None:
    """One of ``member``'s own orders, with lines and events, for PBM staff; None otherwise."""
    if not _is_pbm_staff(viewer):
        return None
    return (
        _visible_orders([member.pk])
        .filter(public_id=public_id)
        .select_related("member")
        .prefetch_related(
            _lines_prefetch(),
            Prefetch("events", queryset=MailOrderEvent.objects.order_by("occurred_at", "id")),
        )
        .first()
    )


def find_newest_open_order_not_shipped(
    *, member_ids: list[int], before: dt.datetime
) -> MailOrder | None:
    """The newest order of these patients placed before ``before`` that the pharmacy has not
    shipped yet (received, verifying or processing). No viewer check: for jobs (the demo seed
    ships it), never for a page."""
    return (
        MailOrder.objects.filter(
            member_id__in=member_ids,
            status__in=(OrderStatus.RECEIVED, OrderStatus.VERIFYING, OrderStatus.PROCESSING),
            ordered_at__lt=before,
        )
        .order_by("-ordered_at", "pk")
        .first()
    )
