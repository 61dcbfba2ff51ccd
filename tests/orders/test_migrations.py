"""The data migration that moves orders stored under whoever placed them to their patient."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from rxportal.members.models import Member
from rxportal.orders.models import MailOrder
from tests.conftest import Family
from tests.factories import PrescriptionFactory
from tests.orders.factories import MailOrderLineFactory, make_order

pytestmark = pytest.mark.django_db

_migration = importlib.import_module(
    "rxportal.orders.migrations.0003_reattribute_orders_to_their_patient"
)


def _order_with_lines_for(placed_under: Member, *patients: Member) -> MailOrder:
    order = make_order(member=placed_under, lines=0)
    for patient in patients:
        MailOrderLineFactory(order=order, prescription=PrescriptionFactory(member=patient))
    return order


def test_orders_placed_for_one_other_person_move_to_that_patient(family: Family) -> None:
    spouses = _order_with_lines_for(family.subscriber, family.spouse, family.spouse)
    childs = _order_with_lines_for(family.subscriber, family.minor_child)
    own = _order_with_lines_for(family.subscriber, family.subscriber)
    mixed = _order_with_lines_for(family.subscriber, family.subscriber, family.spouse)
    mixed_others = _order_with_lines_for(family.subscriber, family.spouse, family.adult_child)

    _migration.reattribute_orders_to_their_patient(apps, None)

    for order in (spouses, childs, own, mixed, mixed_others):
        order.refresh_from_db()
    assert spouses.member == family.spouse
    assert childs.member == family.minor_child
    assert own.member == family.subscriber
    # No single patient: left alone; the read rule shows it only to who may see everyone on it.
    assert mixed.member == family.subscriber
    assert mixed_others.member == family.subscriber


def test_running_it_twice_changes_nothing_more(family: Family) -> None:
    order = _order_with_lines_for(family.subscriber, family.spouse)

    _migration.reattribute_orders_to_their_patient(apps, None)
    _migration.reattribute_orders_to_their_patient(apps, None)

    order.refresh_from_db()
    assert order.member == family.spouse


_codes = importlib.import_module("rxportal.orders.migrations.0004_store_order_reasons_as_codes")


@pytest.mark.parametrize(
    ("stored", "code"),
    [
        ("I no longer need this medication", "no_longer_needed"),  # the member's cancel reason
        ("Prior authorization pending", "prior_authorization"),  # the demo's hold reasons
        ("Cancelled at the member's request", "member_request"),
        ("Order received", ""),  # notes that only repeated their step
        ("Pharmacist verifying the prescription", ""),
        ("Shipped by UPS, tracking 1Z999AA10123456784", ""),
        ("On hold", ""),
        ("duplicate_order", "duplicate_order"),  # already a code: run twice, nothing changes
    ],
)
def test_stored_english_becomes_its_reason_code(stored: str, code: str) -> None:
    assert _codes.code_of(stored) == code


@pytest.mark.parametrize(
    "stored",
    [
        "Member asked us to wait until Friday",  # a pharmacy's own words
        "Insurance needs more information",
    ],
)
def test_a_reason_in_words_the_migration_does_not_know_becomes_another_reason(
    stored: str,
) -> None:
    """Not dropped: an order on hold or cancelled still says it had a reason."""
    assert _codes.code_of(stored) == "other"
    assert _codes.code_of(stored, has_reason=True) == "other"


@pytest.mark.parametrize(
    "stored",
    ["Order received", "Filling the order", "Delivered", "Shipped by USPS, tracking 9400111"],
)
def test_a_note_that_repeated_its_step_is_no_reason_even_on_a_hold(stored: str) -> None:
    assert _codes.code_of(stored, has_reason=True) == ""


def test_a_note_on_a_step_without_a_reason_stays_no_reason() -> None:
    """A shipped or delivered step has no reason to say: its own words are not "another"."""
    assert _codes.code_of("Left with the neighbour", has_reason=False) == ""
    assert _codes.code_of("Duplicate order", has_reason=False) == "duplicate_order"


def test_the_migration_knows_every_reason_the_models_know() -> None:
    from rxportal.orders.models import ORDER_REASONS

    assert [(c, str(label)) for c, label in ORDER_REASONS] == _codes.REASONS


def test_the_steps_with_a_reason_are_the_hold_and_the_cancellation() -> None:
    from rxportal.orders.models import OrderStatus

    assert set(_codes.STEPS_WITH_A_REASON) == {OrderStatus.ON_HOLD, OrderStatus.CANCELLED}
    assert {str(status.label) for status in OrderStatus} <= _codes.STEP_NOTES
