"""Refill reminders: the daily job that tells people a refill is due (Celery beat,
``prescriptions.send_refill_reminders``).

A prescription is due as the dashboard's "refills due" counts it (``selectors.compute_row`` and
``domain.is_refill_reminder_due``): refills left, not expired, allowed now or within 7 days
(and due no more than a week ago), and not in an open mail order (on order: the order is
the refill). Prescriptions on automatic refills are left out (the automatic-refill job orders
them and says so). Controlled substances follow the same status: a Schedule II drug (no refills
by law) or a Schedule III-V one past five refills or six months is never due, so no reminder
invites a refill the refill service would refuse.

Who is told: the patient if they have an account, and their subscriber when the one access rule
lets the subscriber see the patient (``members.selectors.list_viewers_of_members``). Each person
once per prescription and due date: the idempotency key is built from both, so a rerun, or two
workers at once, tell nobody twice. Set-based: prescriptions are read in keyset chunks, each
chunk's messages written in one bulk insert (``notifications.services.notify_many``) in its own
transaction, and delivered by one task per batch after that transaction commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from rxportal.members.selectors import list_viewers_of_members
from rxportal.notifications.services import BulkMessage, notify_many
from rxportal.prescriptions import domain
from rxportal.prescriptions.models import Prescription, PrescriptionStatus
from rxportal.prescriptions.selectors import annotate_open_orders, compute_row, in_open_order

KIND = "prescriptions.refill_due"
CHUNK_SIZE = 1000
LINK_PATH = "/prescriptions/"
_FIELDS = (
    "public_id",
    "member_id",
    "drug__name",
    "drug__dea_schedule",
    "status",
    "written_on",
    "expires_on",
    "days_supply",
    "refills_authorized",
    "refills_remaining",
    "last_filled_on",
)


@dataclass(frozen=True)
class RefillReminderRun:
    """Counts only (a task result carries no PHI)."""

    prescriptions_due: int
    notifications_written: int


def send_refill_reminders(
    *, today: dt.date, days: int = domain.REFILL_DUE_SOON_DAYS, chunk_size: int = CHUNK_SIZE
) -> RefillReminderRun:
    """Tell the patient and those who may see them of each refill due (see the module)."""
    candidates = annotate_open_orders(
        Prescription.objects.select_related("drug")
        .only(*_FIELDS)
        .filter(
            status=PrescriptionStatus.ACTIVE,
            auto_refill=False,
            refills_remaining__gt=0,
            expires_on__gte=today,
        )
        # A refill is allowed no earlier than the last fill: later fills cannot be due yet.
        .exclude(last_filled_on__gt=today + dt.timedelta(days=days)),
        today=today,
    ).order_by("pk")
    due_count = written = 0
    last_pk = 0
    while True:
        chunk = list(candidates.filter(pk__gt=last_pk)[:chunk_size])
        if not chunk:
            break
        last_pk = chunk[-1].pk
        due = []
        for rx in chunk:
            row = compute_row(rx, today=today, has_open_order=in_open_order(rx))
            if domain.is_refill_reminder_due(
                status=row.status,
                next_refill_date=row.next_refill_date,
                written_on=rx.written_on,
                today=today,
                days=days,
            ):
                due_on = domain.compute_refill_due_on(
                    next_refill_date=row.next_refill_date, written_on=rx.written_on
                )
                due.append((rx, due_on))
        due_count += len(due)
        written += _tell(due, today=today)
    return RefillReminderRun(prescriptions_due=due_count, notifications_written=written)


def _tell(due: list[tuple[Prescription, dt.date]], *, today: dt.date) -> int:
    if not due:
        return 0
    viewers = list_viewers_of_members(member_ids={rx.member_id for rx, _ in due}, today=today)
    messages = [
        BulkMessage(
            recipient=viewer.user,
            facts={
                "first_name": viewer.first_name,
                "patient_first_name": viewer.patient_first_name,
                "drug_name": rx.drug.display_name,
                "due_date": due_on,
            },
            variant=(("about_self", viewer.is_patient),),
            idempotency_key=f"{rx.public_id}:{due_on.isoformat()}:{viewer.user.public_id}",
            link_path=LINK_PATH,
            about_member_id=rx.member_id,
        )
        for rx, due_on in due
        for viewer in viewers.get(rx.member_id, [])
    ]
    with transaction.atomic():
        return notify_many(kind=KIND, messages=messages)
