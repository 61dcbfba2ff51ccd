"""The safety net under the member dashboard's cache: every save or delete of a row the dashboard
shows bumps the version numbers of the members it belongs to (``core.record_versions``).

Services write through the ORM, so the model signals see every claim, accumulator,
prescription, refill, renewal and order change, in services, the back office, seeds and tests
alike. Queryset ``update()`` and bulk inserts send no signal: those writers bump themselves
(prescriptions' refill restore, members' account links, the demo seed). Receivers are connected
by model label, so this edge app imports no other app's models.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from rxportal.core.record_versions import (
    bump_all_records,
    bump_family_access,
    bump_member_records,
)
from rxportal.members.selectors import (
    list_family_user_ids,
    list_member_ids_with_subscribers,
)

# Rows with their patient's member id on them.
_MEMBER_ROWS = (
    "claims.Claim",
    "claims.Accumulator",
    "prescriptions.Prescription",
    "prescriptions.RefillRequest",
    "orders.MailOrder",
)
# Reference rows many members' pages show (plan design, sponsor, drug and pharmacy names).
_SHARED_ROWS = ("plans.Plan", "clients.Client", "formulary.Drug", "pharmacies.Pharmacy")


def _members_changed(member_ids: list[int]) -> None:
    bump_member_records(list_member_ids_with_subscribers(member_ids=member_ids))


def _member_row_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    _members_changed([instance.member_id])


def _renewal_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    _members_changed([instance.prescription.member_id])


def _order_event_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    _members_changed([instance.order.member_id])


def _member_about_to_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Before the save: the accounts of the family as it was (an account being unlinked, a
    # member leaving a family) lose what they saw.
    if instance.pk is not None:
        bump_family_access(list_family_user_ids(member_ids=[instance.pk]))


def _member_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    _members_changed([instance.pk])
    bump_family_access([instance.user_id, *list_family_user_ids(member_ids=[instance.pk])])


def _grant_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A grant or revoke changes whom the grantee may see: their dashboard's key carries their
    # family-access number, so the next view reads the family again.
    members = [instance.grantor_id, instance.grantee_id]
    _members_changed(members)
    bump_family_access(list_family_user_ids(member_ids=members))


def _shared_row_changed(sender: Any, **kwargs: Any) -> None:
    bump_all_records()


def connect_receivers() -> None:
    receivers: list[tuple[str, Any]] = [
        *((label, _member_row_changed) for label in _MEMBER_ROWS),
        ("prescriptions.RenewalRequest", _renewal_changed),
        ("orders.MailOrderEvent", _order_event_changed),
        ("members.Member", _member_changed),
        ("members.FamilyAccessGrant", _grant_changed),
        *((label, _shared_row_changed) for label in _SHARED_ROWS),
    ]
    for label, receiver in receivers:
        uid = f"rxportal.web.record_changes:{label}"
        post_save.connect(receiver, sender=label, dispatch_uid=uid)
        post_delete.connect(receiver, sender=label, dispatch_uid=uid)
    for signal in (pre_save, pre_delete):
        signal.connect(
            _member_about_to_change,
            sender="members.Member",
            dispatch_uid="rxportal.web.record_changes:members.Member:before",
        )
