"""The mail-order pages: access rules, the 18-month window, family visibility, cancel, addresses."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.orders import services
from rxportal.orders.models import OrderStatus, PharmacyReason, ShippingAddress
from tests.conftest import Family
from tests.factories import MemberFactory, PrescriptionFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory
from tests.orders.factories import (
    MailOrderLineFactory,
    ShippingAddressFactory,
    make_centroid,
    make_order,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("orders:list")
ADDRESSES_URL = reverse("orders:addresses")
ADD_ADDRESS_URL = reverse("orders:address_add")


def _html(response) -> str:
    return response.content.decode()


def _detail(order) -> str:
    return reverse("orders:detail", args=[order.public_id])


def _cancel(order) -> str:
    return reverse("orders:cancel", args=[order.public_id])


# --- Access ------------------------------------------------------------------------------------

# A fixed id no row has (ids in parametrize must be the same in every xdist worker).
UNKNOWN_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


@pytest.mark.parametrize(
    "url",
    [
        LIST_URL,
        ADDRESSES_URL,
        ADD_ADDRESS_URL,
        reverse("orders:detail", args=[UNKNOWN_ID]),
        reverse("orders:cancel", args=[UNKNOWN_ID]),
        reverse("orders:address_remove", args=[UNKNOWN_ID]),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_non_members_get_the_member_tools_page(client: Client) -> None:
    client.force_login(UserFactory(role="client"))
    assert client.get(LIST_URL).status_code == 403


def test_another_members_order_is_404_on_every_order_page(client: Client, family: Family) -> None:
    stranger_order = make_order(member=MemberFactory(), status=OrderStatus.RECEIVED)
    client.force_login(family.subscriber.user)

    assert client.get(_detail(stranger_order)).status_code == 404
    assert client.get(_cancel(stranger_order)).status_code == 404
    response = client.post(_cancel(stranger_order), {"reason": "other"})
    assert response.status_code == 404
    stranger_order.refresh_from_db()
    assert stranger_order.status == OrderStatus.RECEIVED


def test_another_members_address_is_404(client: Client, family: Family) -> None:
    foreign = ShippingAddressFactory(member=MemberFactory())
    client.force_login(family.subscriber.user)

    remove = reverse("orders:address_remove", args=[foreign.public_id])
    default = reverse("orders:address_set_default", args=[foreign.public_id])
    assert client.get(remove).status_code == 404
    assert client.post(remove).status_code == 404
    assert client.post(default).status_code == 404
    assert ShippingAddress.objects.filter(pk=foreign.pk).exists()


# --- The list ----------------------------------------------------------------------------------


def test_list_shows_own_and_minor_childs_orders_newest_first_with_tracking(
    client: Client, family: Family
) -> None:
    now = clock.now()
    older = make_order(
        member=family.subscriber,
        status=OrderStatus.DELIVERED,
        ordered_at=now - dt.timedelta(days=40),
        carrier="USPS",
        tracking_number="9400111899223856912345",
    )
    newer = make_order(
        member=family.minor_child,
        status=OrderStatus.SHIPPED,
        ordered_at=now - dt.timedelta(days=3),
        carrier="FedEx",
        tracking_number="123456789012",
    )
    client.force_login(family.subscriber.user)

    html = _html(client.get(LIST_URL))

    assert html.index(newer.order_number) < html.index(older.order_number)
    assert "https://www.fedex.com/fedextrack/?trknbr=123456789012" in html
    assert "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223856912345" in html
    assert family.minor_child.first_name in html
    audit = AuditEvent.objects.get(action="phi.mail_orders.viewed")
    assert audit.details == {"edge": "web", "filter": "all", "count": 2}


def test_list_says_whom_the_prescriptions_are_for_not_who_ordered(
    client: Client, family: Family
) -> None:
    order = make_order(member=family.subscriber, lines=0)
    MailOrderLineFactory(order=order, prescription=PrescriptionFactory(member=family.minor_child))
    client.force_login(family.subscriber.user)

    html = _html(client.get(LIST_URL))

    card = html[html.index(order.order_number) :]
    assert f"<dd>{family.minor_child.first_name}</dd>" in card


def test_an_unknown_carrier_shows_just_the_number(client: Client, family: Family) -> None:
    make_order(
        member=family.subscriber,
        status=OrderStatus.SHIPPED,
        carrier="Speedy Couriers",
        tracking_number="SC-778899",
    )
    client.force_login(family.subscriber.user)

    html = _html(client.get(LIST_URL))

    assert "Speedy Couriers SC-778899" in html
    assert "trknbr" not in html and "ups.com" not in html


def test_list_keeps_18_months_and_says_how_many_are_older(client: Client, family: Family) -> None:
    now = clock.now()
    recent = make_order(member=family.subscriber, ordered_at=now - dt.timedelta(days=500))
    old = make_order(
        member=family.subscriber,
        status=OrderStatus.DELIVERED,
        ordered_at=now - dt.timedelta(days=560),
    )
    client.force_login(family.subscriber.user)

    html = _html(client.get(LIST_URL))

    assert recent.order_number in html
    assert old.order_number not in html
    assert "1 older order is not shown" in html
    assert "the last 18 months" in html


def test_list_filter_open_hides_delivered_and_cancelled(client: Client, family: Family) -> None:
    open_order = make_order(member=family.subscriber, status=OrderStatus.ON_HOLD)
    delivered = make_order(member=family.subscriber, status=OrderStatus.DELIVERED)
    cancelled = make_order(member=family.subscriber, status=OrderStatus.CANCELLED)
    client.force_login(family.subscriber.user)

    html = _html(client.get(LIST_URL, {"show": "open"}))

    assert open_order.order_number in html
    assert delivered.order_number not in html
    assert cancelled.order_number not in html


def test_adult_dependents_orders_need_their_consent(client: Client, family: Family) -> None:
    spouse_order = make_order(member=family.spouse)
    adult_child_order = make_order(member=family.adult_child)
    FamilyAccessGrantFactory(grantor=family.adult_child, grantee=family.subscriber)
    client.force_login(family.subscriber.user)

    html = _html(client.get(LIST_URL))

    assert spouse_order.order_number not in html
    assert client.get(_detail(spouse_order)).status_code == 404
    assert adult_child_order.order_number in html
    assert client.get(_detail(adult_child_order)).status_code == 200


def test_family_visibility_comes_only_from_the_members_selector(
    client: Client, family: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    child_order = make_order(member=family.minor_child)
    client.force_login(family.subscriber.user)
    monkeypatch.setattr(
        "rxportal.orders.selectors.list_family_members_visible_to",
        lambda *, viewer, today: [family.subscriber],
    )

    assert child_order.order_number not in _html(client.get(LIST_URL))
    assert client.get(_detail(child_order)).status_code == 404


def test_a_dependent_does_not_see_the_subscribers_orders(client: Client, family: Family) -> None:
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()
    subscriber_order = make_order(member=family.subscriber)
    client.force_login(family.spouse.user)

    assert subscriber_order.order_number not in _html(client.get(LIST_URL))
    assert client.get(_detail(subscriber_order)).status_code == 404


def _count_queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_list_query_count_does_not_grow_with_orders(
    client: Client, family: Family, django_assert_max_num_queries
) -> None:
    make_order(member=family.subscriber)
    client.force_login(family.subscriber.user)
    client.get(LIST_URL)  # the first request of a session also records the session
    with_one = _count_queries(client, LIST_URL)
    for status in OrderStatus.values:
        make_order(member=family.subscriber, status=status, lines=2)
        make_order(member=family.minor_child, status=status, lines=2)

    # Sign-in and session bookkeeping, 3 for the viewer and family, orders, lines, the older
    # count, then the audit event.
    with django_assert_max_num_queries(18):
        response = client.get(LIST_URL)
    assert _html(response).count('class="order-card"') == 15
    assert _count_queries(client, LIST_URL) == with_one


# --- The detail page ---------------------------------------------------------------------------


def test_detail_shows_the_timeline_with_the_current_step_in_words(
    client: Client, family: Family
) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.SHIPPED, lines=2)
    client.force_login(family.subscriber.user)

    response = client.get(_detail(order))

    html = _html(response)
    assert response.status_code == 200
    assert '<ol class="timeline">' in html
    assert 'aria-current="step"' in html
    assert "(current step)" in html
    assert html.count("(done)") == 3
    assert html.count("(not yet)") == 1
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in html
    for line in order.lines.all():
        assert line.prescription.drug.name in html
    assert order.ship_to_address_line in html
    audit = AuditEvent.objects.get(action="phi.mail_order.viewed")
    assert audit.subject_id == str(order.public_id)
    assert audit.details == {"edge": "web", "status": "shipped"}


def test_detail_of_an_order_on_hold_shows_the_reason(client: Client, family: Family) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.ON_HOLD)
    client.force_login(family.subscriber.user)

    html = _html(client.get(_detail(order)))

    assert "Why this order is on hold" in html
    assert "Prior authorization pending" in html
    assert "Cancel order" in html


def test_detail_does_not_offer_cancel_once_processing(client: Client, family: Family) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.PROCESSING)
    client.force_login(family.subscriber.user)

    html = _html(client.get(_detail(order)))

    assert _cancel(order) not in html
    assert "can no longer be cancelled" in html


def test_detail_query_budget(client: Client, family: Family, django_assert_max_num_queries) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.DELIVERED, lines=3)
    client.force_login(family.subscriber.user)
    client.get(_detail(order))
    with django_assert_max_num_queries(18):
        assert client.get(_detail(order)).status_code == 200


# --- Cancelling --------------------------------------------------------------------------------


def test_cancel_asks_for_a_reason_then_cancels(client: Client, family: Family) -> None:
    order = make_order(member=family.minor_child, status=OrderStatus.VERIFYING)
    client.force_login(family.subscriber.user)

    confirm = client.get(_cancel(order))
    assert confirm.status_code == 200
    assert "Why are you cancelling?" in _html(confirm)

    missing = client.post(_cancel(order), {"reason": ""})
    assert missing.status_code == 200
    assert "Choose why you are cancelling this order." in _html(missing)
    order.refresh_from_db()
    assert order.status == OrderStatus.VERIFYING

    done = client.post(_cancel(order), {"reason": "ordered_by_mistake"}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    html = _html(done)
    assert f"Order {order.order_number} is cancelled" in html
    assert "I ordered it by mistake" in html


def test_cancel_once_processing_explains_why_not(client: Client, family: Family) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.PROCESSING)
    client.force_login(family.subscriber.user)

    assert client.get(_cancel(order)).status_code == 302
    response = client.post(_cancel(order), {"reason": "other"}, follow=True)

    assert "can no longer be cancelled" in _html(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING


# --- Shipping addresses ------------------------------------------------------------------------


def _address_post(**overrides: str) -> dict[str, str]:
    data = {
        "label": "Work",
        "name": "Dana Rivera",
        "line1": "55 Farmington Ave",
        "line2": "Suite 4",
        "city": "Hartford",
        "state": "ct",
        "zip_code": "06103",
    }
    data.update(overrides)
    return data


def test_add_address_with_an_unknown_zip_explains_and_saves_nothing(
    client: Client, family: Family
) -> None:
    make_centroid("06103", "CT")
    client.force_login(family.subscriber.user)

    response = client.post(ADD_ADDRESS_URL, _address_post(zip_code="00001"))

    html = _html(response)
    assert response.status_code == 200
    assert "ZIP code 00001 does not exist" in html
    assert 'aria-invalid="true"' in html
    assert "id_zip_code_error" in html
    assert not ShippingAddress.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"state": "Conn"}, "two-letter code"),
        ({"zip_code": "123"}, "5-digit ZIP code"),
        ({"line1": ""}, "Enter the street address."),
    ],
)
def test_add_address_shape_errors(client: Client, family: Family, overrides, message) -> None:
    client.force_login(family.subscriber.user)
    response = client.post(ADD_ADDRESS_URL, _address_post(**overrides))
    assert message in _html(response)
    assert not ShippingAddress.objects.exists()


def test_add_set_default_and_remove_addresses(client: Client, family: Family) -> None:
    make_centroid("06103", "CT")
    client.force_login(family.subscriber.user)

    response = client.post(ADD_ADDRESS_URL, _address_post(), follow=True)
    assert "Address saved." in _html(response)
    client.post(ADD_ADDRESS_URL, _address_post(label="Cabin", line1="2 Lake Rd"))
    work, cabin = ShippingAddress.objects.order_by("id")
    assert work.is_default and not cabin.is_default

    client.post(reverse("orders:address_set_default", args=[cabin.public_id]))
    work.refresh_from_db()
    cabin.refresh_from_db()
    assert cabin.is_default and not work.is_default

    confirm = client.get(reverse("orders:address_remove", args=[cabin.public_id]))
    assert "Remove this address?" in _html(confirm)
    client.post(reverse("orders:address_remove", args=[cabin.public_id]))
    work.refresh_from_db()
    assert work.is_default
    assert list(ShippingAddress.objects.all()) == [work]

    listing = _html(client.get(ADDRESSES_URL))
    assert "55 Farmington Ave" in listing
    assert "Address on file" in listing
    assert AuditEvent.objects.filter(action="phi.shipping_addresses.viewed").exists()


def test_set_default_refuses_get(client: Client, family: Family) -> None:
    address = ShippingAddressFactory(member=family.subscriber)
    client.force_login(family.subscriber.user)
    assert (
        client.get(reverse("orders:address_set_default", args=[address.public_id])).status_code
        == 405
    )


def test_back_office_lists_shipping_addresses(client: Client, family: Family) -> None:
    ShippingAddressFactory(member=family.subscriber, is_default=True)
    client.force_login(UserFactory(role="admin", is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:orders_shippingaddress_changelist"))
    assert response.status_code == 200
    assert "Home, Hartford CT 06103" in _html(response)


def test_an_order_held_and_cancelled_by_the_pharmacy_reads_in_spanish(
    client: Client, family: Family
) -> None:
    """The pharmacy's steps store codes: every reason and timeline note is said in the reader's
    language, never as the English it was once stored in."""
    held = make_order(member=family.subscriber, status=OrderStatus.VERIFYING)
    services.record_order_status(
        order=held,
        status=OrderStatus.ON_HOLD,
        reason=PharmacyReason.PRESCRIBER_CONFIRMATION,
        now=clock.now(),
    )
    cancelled = make_order(member=family.subscriber, status=OrderStatus.RECEIVED)
    services.cancel_mail_order(
        order=cancelled,
        actor=family.subscriber.user,
        reason="ordered_by_mistake",
        now=clock.now(),
        give_back=lambda order, ids: 0,
    )
    client.force_login(family.subscriber.user)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})

    on_hold = _html(client.get(_detail(held)))
    gone = _html(client.get(_detail(cancelled)))
    listed = _html(client.get(reverse("orders:list") + "?show=all"))

    assert on_hold.count("Esperando que el médico confirme la receta") == 2  # reason, timeline
    assert "Waiting for the prescriber" not in on_hold
    assert gone.count("Lo pedí por error") == 2
    assert "I ordered it by mistake" not in gone
    assert "Esperando que el médico confirme la receta" in listed
    assert "Lo pedí por error" in listed


def test_a_reason_is_only_for_an_order_put_on_hold(family: Family) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.VERIFYING)

    with pytest.raises(ValueError, match="PharmacyReason"):
        services.record_order_status(
            order=order, status=OrderStatus.PROCESSING, reason="duplicate_order", now=clock.now()
        )
    with pytest.raises(ValueError, match="PharmacyReason"):
        services.record_order_status(
            order=order, status=OrderStatus.ON_HOLD, reason="Free text", now=clock.now()
        )
