"""The dashboard's "what needs attention" (refills due, orders on their way, alerts), quick links
and its query budget: few queries, none per item."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from rxportal.audit.models import AuditEvent
from rxportal.claims.models import AccumulatorScope
from rxportal.orders.models import OrderStatus
from rxportal.web.selectors import find_member_dashboard
from tests.conftest import Family
from tests.factories import (
    AccumulatorFactory,
    ClaimFactory,
    DrugFactory,
    PrescriptionFactory,
    UserFactory,
)
from tests.members.factories import FamilyAccessGrantFactory
from tests.orders.factories import MailOrderFactory

pytestmark = pytest.mark.django_db
URL = reverse("web:dashboard")


def _html(response) -> str:
    return response.content.decode()


def _section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, heading_id
    return match.group(0)


def _refill_due(member, today: dt.date, name: str):
    """A prescription last filled 30 days ago for 30 days: a refill is allowed now."""
    return PrescriptionFactory(
        member=member,
        drug=DrugFactory(name=name),
        last_filled_on=today - dt.timedelta(days=30),
        days_supply=30,
    )


def _fill_the_dashboard(family: Family, today: dt.date) -> None:
    FamilyAccessGrantFactory(grantor=family.spouse)
    for member in (family.subscriber, family.minor_child, family.spouse, family.adult_child):
        _refill_due(member, today, f"Refill Drug of {member.first_name}")
        PrescriptionFactory(
            member=member,
            drug=DrugFactory(name=f"Last refill Drug of {member.first_name}"),
            refills_remaining=0,
            last_filled_on=today - dt.timedelta(days=3),
        )
        MailOrderFactory(
            member=member,
            status=OrderStatus.SHIPPED,
            carrier="UPS",
            tracking_number="1Z999AA10123456784",
            expected_delivery=today + dt.timedelta(days=2),
        )
        ClaimFactory.create_batch(3, member=member)
    AccumulatorFactory(member=family.subscriber)
    AccumulatorFactory(member=family.subscriber, scope=AccumulatorScope.FAMILY)


def test_what_needs_attention_comes_first_with_refills_orders_and_alerts(
    client: Client, family: Family, today: dt.date
) -> None:
    _fill_the_dashboard(family, today)
    client.force_login(family.subscriber.user)

    html = _html(client.get(URL))

    attention = _section(html, "attention-heading")
    assert html.index('id="attention-heading"') < html.index('id="spending-heading"')
    for name in ("Dana", "Lucia", "Sam"):  # self, a minor, an adult who consented
        assert f"Refill Drug of {name}" in attention
        assert f"Last refill Drug of {name}" in attention
    assert "Refill Drug of Mateo" not in html  # an adult without consent
    assert "For Lucia" in attention and "For Sam" in attention
    assert "You can refill it now." in attention
    assert "No refills left: ask for a renewal." in attention
    assert attention.count("Track with UPS") == 3
    assert "Nothing needs your attention" not in html


def test_nothing_to_do_says_so(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    html = _html(client.get(URL))

    assert "Nothing needs your attention right now" in _section(html, "attention-heading")


def test_quick_links_point_at_every_member_page_that_exists(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    html = _html(client.get(URL))

    nav = re.search(r'<nav class="panel quick-links".*?</nav>', html, re.S)
    assert nav
    for url_name in (
        "prescriptions:list",
        "orders:list",
        "claims:list",
        "formulary:search",
        "pricing:estimate",
        "pharmacies:finder",
        "web:benefits",
        "web:id_card",
        "members:family_access",
    ):
        try:
            url = reverse(url_name)
        except NoReverseMatch:  # a page not built (yet) is left out, never a broken link
            continue
        assert f'href="{url}"' in nav.group(0), url_name


def test_the_dashboard_reads_in_a_fixed_number_of_queries(
    family: Family, today: dt.date, django_assert_max_num_queries
) -> None:
    _fill_the_dashboard(family, today)
    viewer = family.subscriber.user

    # Member, visible family, accumulators, prescriptions, recent claims, orders.
    with django_assert_max_num_queries(6):
        dashboard = find_member_dashboard(viewer=viewer, today=today)
        assert dashboard is not None
        for row in dashboard.refills_due:  # what the template reads: no query per item
            _ = row.prescription.drug.name, row.prescription.member.first_name
        for order in dashboard.orders_in_progress:
            _ = order.member.first_name, order.tracking_url
        for alert in dashboard.alerts:
            _ = alert.prescription.drug.name, alert.prescription.member.first_name
        for claim in dashboard.recent_claims:
            _ = claim.drug.name, claim.member.first_name, claim.pharmacy

    assert len(dashboard.refills_due) == 3
    assert len(dashboard.orders_in_progress) == 3
    assert len(dashboard.alerts) == 3


def test_the_dashboard_page_reads_within_a_query_budget(
    client: Client, family: Family, today: dt.date, django_assert_max_num_queries
) -> None:
    _fill_the_dashboard(family, today)
    client.force_login(family.subscriber.user)
    client.get(URL)  # the first request of a session also records the session

    # Session and user (about 4), the dashboard's own 6 reads and the audit event (about 5).
    with django_assert_max_num_queries(15):
        response = client.get(URL)

    assert response.status_code == 200


def test_viewing_the_dashboard_is_audited_with_counts_only(
    client: Client, family: Family, today: dt.date
) -> None:
    _fill_the_dashboard(family, today)
    client.force_login(family.subscriber.user)

    client.get(URL)

    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert (event.action, event.outcome) == ("phi.dashboard.viewed", "success")
    assert event.actor_id == family.subscriber.user.pk
    assert event.subject_id == str(family.subscriber.public_id)
    assert event.details == {
        "edge": "web",
        "refills_due": 3,
        "orders_in_progress": 3,
        "alerts": 3,
        "recent_claims": 9,
        "family_claims": True,
    }


def test_the_not_a_member_page_writes_no_audit_event(client: Client) -> None:
    client.force_login(UserFactory(role="service_center"))

    response = client.get(URL)

    assert response.status_code == 200
    assert "Member tools are for plan members" in _html(response)
    assert not AuditEvent.objects.filter(action="phi.dashboard.viewed").exists()


def test_attention_lists_show_at_most_five_items_each(
    client: Client, family: Family, today: dt.date
) -> None:
    for index in range(7):
        _refill_due(family.subscriber, today, f"Many Drug {index}")
        MailOrderFactory(member=family.subscriber, status=OrderStatus.SHIPPED)
    client.force_login(family.subscriber.user)

    dashboard = find_member_dashboard(viewer=family.subscriber.user, today=today)

    assert dashboard is not None
    assert len(dashboard.refills_due) == 5
    assert len(dashboard.orders_in_progress) == 5
    attention = _section(_html(client.get(URL)), "attention-heading")
    # Each item names its drug in its title (and again in its refill button's hidden words).
    assert attention.count('attention-item__title">Many Drug') == 5


def test_a_spouse_sees_only_their_own_items(client: Client, family: Family, today: dt.date) -> None:
    _fill_the_dashboard(family, today)
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()
    client.force_login(family.spouse.user)

    attention = _section(_html(client.get(URL)), "attention-heading")

    assert "Refill Drug of Sam" in attention
    assert "Refill Drug of Dana" not in attention
    assert "Refill Drug of Lucia" not in attention
    assert attention.count("Track with UPS") == 1
