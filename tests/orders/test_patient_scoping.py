"""Whose order is it? An order belongs to the patient on its prescriptions, never to whoever
(or whatever job) placed it, and every order read and action follows the one family-access rule
(``members.selectors.list_family_members_visible_to``).

The security issue these tests pin down: when an adult dependent turned on automatic refills,
the job placed her order under the subscriber, so he saw her drugs without her consent and she
got a 404 for her own order; and after a grant then a revoke he still saw the orders he had
placed for her.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.members.models import Member
from rxportal.members.services import grant_family_access, revoke_family_access
from rxportal.orders.models import MailOrder, OrderStatus
from rxportal.orders.selectors import find_mail_order, list_mail_orders, list_orders_in_progress
from rxportal.prescriptions import services as rx_services
from rxportal.prescriptions.services import RefillLineInput
from tests.factories import PrescriptionFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory
from tests.orders.factories import MailOrderLineFactory, make_order
from tests.prescriptions.conftest import Setting, make_rx, setting  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("orders:list")
DASHBOARD_URL = reverse("web:dashboard")


def _detail(order: MailOrder) -> str:
    return reverse("orders:detail", args=[order.public_id])


def _cancel(order: MailOrder) -> str:
    return reverse("orders:cancel", args=[order.public_id])


def _signed_in(member: Member, username: str | None = None) -> Client:
    if member.user is None:
        member.user = UserFactory(username=username or f"member-{member.person_code}")
        member.save(update_fields=["user"])
    client = Client()
    client.force_login(member.user)
    return client


def _sees(client: Client, order: MailOrder) -> dict[str, bool]:
    """Where the viewer meets the order: the list, the dashboard, the detail and cancel pages."""
    return {
        "list": order.order_number in client.get(LIST_URL).content.decode(),
        "dashboard": order.order_number in client.get(DASHBOARD_URL).content.decode(),
        "detail": client.get(_detail(order)).status_code == 200,
        "cancel": client.get(_cancel(order)).status_code == 200,
    }


SEES_ALL = {"list": True, "dashboard": True, "detail": True, "cancel": True}
SEES_NOTHING = {"list": False, "dashboard": False, "detail": False, "cancel": False}


def _auto_refill_order_of(setting: Setting, patient: Member, today: dt.date) -> MailOrder:  # noqa: F811
    """The patient turns on automatic refills for a due prescription; the daily job runs."""
    rx = make_rx(setting, today=today, member=patient)
    rx_services.set_auto_refill(
        actor=patient.user or setting.family.subscriber.user,
        prescription_id=rx.public_id,
        enabled=True,
        today=today,
    )
    run = rx_services.run_due_auto_refills(today=today, now=clock.now())
    assert len(run.placed) == 1, run.failed
    return MailOrder.objects.get(lines__prescription=rx)


# --- (a) The automatic-refill job orders as the prescription's patient ------------------------


def test_an_adult_dependents_auto_refill_is_her_order_not_the_subscribers(
    setting: Setting,  # noqa: F811
    today: dt.date,
) -> None:
    spouse = setting.family.spouse
    _signed_in(spouse, "spouse")

    order = _auto_refill_order_of(setting, spouse, today)

    assert order.member == spouse
    # Shipped to her own address on file, not the subscriber's.
    assert order.ship_to_name == spouse.full_name
    placed = AuditEvent.objects.get(action="order.placed")
    assert placed.details["member"] == str(spouse.public_id)


def test_a_minor_childs_auto_refill_is_the_childs_order(
    setting: Setting,  # noqa: F811
    today: dt.date,
) -> None:
    child = setting.family.minor_child

    order = _auto_refill_order_of(setting, child, today)

    assert order.member == child
    # A parent still sees a minor's order: the family-access rule needs no consent for them.
    assert _sees(_signed_in(setting.family.subscriber), order) == SEES_ALL


# --- (b) + (c) Without a grant the subscriber sees nothing; the dependent sees her order ------


def test_without_consent_the_subscriber_never_sees_an_adult_dependents_auto_refill(
    setting: Setting,  # noqa: F811
    today: dt.date,
) -> None:
    spouse_client = _signed_in(setting.family.spouse, "spouse")
    order = _auto_refill_order_of(setting, setting.family.spouse, today)
    subscriber_client = _signed_in(setting.family.subscriber)

    assert _sees(subscriber_client, order) == SEES_NOTHING
    assert subscriber_client.get(_detail(order)).status_code == 404
    assert subscriber_client.get(_cancel(order)).status_code == 404
    assert subscriber_client.post(_cancel(order), {"reason": "other"}).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED
    drug = order.lines.get().prescription.drug.name
    assert drug not in subscriber_client.get(LIST_URL).content.decode()
    assert drug not in subscriber_client.get(DASHBOARD_URL).content.decode()

    assert _sees(spouse_client, order) == SEES_ALL


def test_an_adult_childs_auto_refill_is_hidden_from_the_subscriber_too(
    setting: Setting,  # noqa: F811
    today: dt.date,
) -> None:
    child_client = _signed_in(setting.family.adult_child, "mateo")
    order = _auto_refill_order_of(setting, setting.family.adult_child, today)

    assert _sees(_signed_in(setting.family.subscriber), order) == SEES_NOTHING
    assert _sees(child_client, order) == SEES_ALL


# --- (d) A revoked grant hides every order at once, also those the subscriber placed ---------


def test_a_revoke_hides_the_orders_the_subscriber_placed_for_her_at_once(
    setting: Setting,  # noqa: F811
    today: dt.date,
) -> None:
    family = setting.family
    spouse_client = _signed_in(family.spouse, "spouse")
    grant_family_access(grantor=family.spouse, grantee=family.subscriber, actor=family.spouse.user)
    rx = make_rx(setting, today=today, member=family.spouse)
    refill = rx_services.request_refill(
        actor=family.subscriber.user,
        member_id=family.spouse.public_id,
        lines=[RefillLineInput(prescription_id=rx.public_id)],
        fulfilment="mail",
        idempotency_key=uuid.uuid4(),
        today=today,
        now=clock.now(),
    )
    order = refill.mail_order
    assert order is not None
    subscriber_client = _signed_in(family.subscriber)
    assert _sees(subscriber_client, order) == SEES_ALL
    # Placed by the subscriber, it is still the spouse's order: she sees it, and it ships
    # where he chose (his address on file).
    assert order.member == family.spouse
    assert order.ship_to_name == family.subscriber.full_name
    assert _sees(spouse_client, order) == SEES_ALL

    revoke_family_access(grantor=family.spouse, grantee=family.subscriber, actor=family.spouse.user)

    assert _sees(subscriber_client, order) == SEES_NOTHING
    assert _sees(spouse_client, order) == SEES_ALL


def test_selectors_follow_a_revoke_without_any_cache(
    setting: Setting,  # noqa: F811
    today: dt.date,
) -> None:
    family = setting.family
    grant = FamilyAccessGrantFactory(grantor=family.spouse, grantee=family.subscriber)
    order = make_order(member=family.spouse, status=OrderStatus.RECEIVED)
    viewer = family.subscriber.user
    assert find_mail_order(viewer=viewer, public_id=order.public_id, today=today) == order

    grant.revoked_at = clock.now()
    grant.save(update_fields=["revoked_at"])

    assert find_mail_order(viewer=viewer, public_id=order.public_id, today=today) is None
    assert order not in list_mail_orders(viewer=viewer, today=today).orders
    assert order not in list_orders_in_progress(viewer=viewer, today=today)
    assert order not in list_orders_in_progress(viewer=viewer, today=today, with_lines=False)


# --- Orders whose rows disagree with their lines (placed before the fix) ----------------------


def test_an_order_is_hidden_unless_the_viewer_may_see_every_patient_on_it(
    setting: Setting,  # noqa: F811
    today: dt.date,
) -> None:
    """An order stored under the subscriber that carries the spouse's prescription (how the old
    job stored them) is hers as much as his: without her consent he does not see it."""
    family = setting.family
    mixed = make_order(member=family.subscriber, lines=0)
    MailOrderLineFactory(order=mixed, prescription=PrescriptionFactory(member=family.spouse))
    minor_only = make_order(member=family.subscriber, lines=0)
    MailOrderLineFactory(
        order=minor_only, prescription=PrescriptionFactory(member=family.minor_child)
    )
    viewer = family.subscriber.user

    assert find_mail_order(viewer=viewer, public_id=mixed.public_id, today=today) is None
    assert list_mail_orders(viewer=viewer, today=today).orders == [minor_only]
    assert list_orders_in_progress(viewer=viewer, today=today, with_lines=False) == [minor_only]

    FamilyAccessGrantFactory(grantor=family.spouse, grantee=family.subscriber)

    assert find_mail_order(viewer=viewer, public_id=mixed.public_id, today=today) == mixed


def test_the_older_count_leaves_out_orders_the_viewer_may_not_see(
    setting: Setting,  # noqa: F811
    today: dt.date,
) -> None:
    family = setting.family
    long_ago = clock.now() - dt.timedelta(days=700)
    make_order(member=family.subscriber, ordered_at=long_ago, status=OrderStatus.DELIVERED)
    hidden = make_order(
        member=family.subscriber, lines=0, ordered_at=long_ago, status=OrderStatus.DELIVERED
    )
    MailOrderLineFactory(order=hidden, prescription=PrescriptionFactory(member=family.spouse))

    history = list_mail_orders(viewer=family.subscriber.user, today=today)

    assert history.older_count == 1


# --- (e) The cancel page shows PHI, so it is audited like the detail page --------------------


def test_the_cancel_page_records_the_phi_view(
    setting: Setting,  # noqa: F811
) -> None:
    order = make_order(member=setting.family.minor_child, status=OrderStatus.RECEIVED)
    client = _signed_in(setting.family.subscriber)

    response = client.get(_cancel(order))

    assert response.status_code == 200
    [event] = AuditEvent.objects.filter(action="phi.mail_order.viewed")
    assert event.subject_id == str(order.public_id)
    assert event.actor_id == setting.family.subscriber.user.pk
    assert event.details == {"edge": "web", "status": OrderStatus.RECEIVED, "page": "cancel"}
