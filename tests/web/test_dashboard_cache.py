"""The member dashboard's per-viewer cache (``web.dashboard_cache``): a second view reads none of
the records, every writer of what the dashboard shows makes the next view fresh (stale before
the write, fresh after), a family revoke hides at once, the audit is written on every view, the
entries are sealed and their keys carry no PHI, and the cached forms get this request's token."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.claims.models import Claim, ClaimStatus
from rxportal.core import clock
from rxportal.core.record_versions import bump_all_records, bump_member_records
from rxportal.formulary.models import FormularyEntry
from rxportal.members.models import Member
from rxportal.members.selectors import get_support_contacts
from rxportal.members.services import (
    grant_family_access,
    release_members_of_user,
    revoke_family_access,
)
from rxportal.orders.models import CancelReason, OrderStatus
from rxportal.orders.services import record_order_status
from rxportal.plans.models import Tier
from rxportal.prescriptions.services import (
    RefillLineInput,
    cancel_refill_order,
    request_refill,
)
from tests.conftest import Family
from tests.factories import (
    AccumulatorFactory,
    ClaimFactory,
    DrugFactory,
    PrescriptionFactory,
    UserFactory,
)
from tests.members.factories import FamilyAccessGrantFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db
URL = reverse("web:dashboard")
# The tables the dashboard's reads touch: a view served from the cache reads none of them.
RECORD_TABLES = (
    "claims_claim",
    "claims_accumulator",
    "prescriptions_prescription",
    "orders_mailorder",
    "members_familyaccessgrant",
)


def _view(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def _records_read_by_a_view(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        _view(client)
    sql = [query["sql"] for query in queries.captured_queries]
    # The frame's support numbers read the viewer's member row (one query, not cached here);
    # the dashboard's own member and family reads would be more.
    members = [query for query in sql if 'FROM "members_member"' in query]
    records = [query for query in sql if any(f'"{table}"' in query for table in RECORD_TABLES)]
    return records + (members if len(members) > 1 else [])


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def signed_in(client: Client, family: Family) -> Client:
    client.force_login(family.subscriber.user)
    _view(client)  # the session's first request records the session: not what is measured
    return client


def test_a_second_view_reads_no_records(signed_in: Client, family: Family) -> None:
    ClaimFactory(member=family.subscriber, drug=DrugFactory(name="Cachedrugol"))
    first = _view(signed_in)

    assert _records_read_by_a_view(signed_in) == []
    assert "Cachedrugol" in first
    assert _without_tokens(_view(signed_in)) == _without_tokens(first)


def test_a_write_that_bumps_nothing_stays_unseen_until_its_number_moves(
    signed_in: Client, family: Family
) -> None:
    """The control for every writer test below: the cache really serves the old page."""
    _view(signed_in)
    Member.objects.filter(pk=family.subscriber.pk).update(first_name="Zora")  # no signal

    assert "Hello, Dana" in _view(signed_in)

    bump_member_records([family.subscriber.pk])
    assert "Hello, Zora" in _view(signed_in)


def test_bumping_everyone_refreshes_every_dashboard(signed_in: Client, family: Family) -> None:
    """What the demo seed does after its bulk insert (no signals)."""
    _view(signed_in)
    Member.objects.filter(pk=family.subscriber.pk).update(first_name="Zora")
    assert "Hello, Dana" in _view(signed_in)

    bump_all_records()

    assert "Hello, Zora" in _view(signed_in)


# --- Every writer: stale before, fresh after -----------------------------------------------------


def _claim_paid(family: Family) -> str:
    ClaimFactory(member=family.subscriber, drug=DrugFactory(name="Freshclaimol"))
    return "Freshclaimol"


def _minor_childs_claim_paid(family: Family) -> str:
    ClaimFactory(member=family.minor_child, drug=DrugFactory(name="Childclaimol"))
    return "Childclaimol"


def _claim_reversed(family: Family) -> str:
    claim = Claim.objects.get(member=family.subscriber)
    claim.status = ClaimStatus.REVERSED
    claim.save()
    return "status--reversed"


def _accumulator_moved(family: Family) -> str:
    accumulator = family.subscriber.accumulators.get()
    accumulator.oop_met = Decimal("123.45")
    accumulator.save()
    return "$123.45"


def _refill_requested(family: Family) -> str:
    rx = family.subscriber.prescriptions.get()
    request_refill(
        actor=family.subscriber.user,
        member_id=family.subscriber.public_id,
        lines=[RefillLineInput(prescription_id=rx.public_id)],
        fulfilment="mail",
        idempotency_key=uuid.uuid4(),
        today=clock.today(),
        now=clock.now(),
    )
    return 'id="orders-heading"'


def _order_shipped(family: Family) -> str:
    order = family.subscriber.mail_orders.get()
    record_order_status(
        order=order,
        status=OrderStatus.SHIPPED,
        now=clock.now(),
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
    )
    return "Track with UPS"


def _order_cancelled(family: Family) -> str:
    order = family.subscriber.mail_orders.get()
    cancel_refill_order(
        order=order,
        actor=family.subscriber.user,
        reason=CancelReason.NO_LONGER_NEEDED,
        now=clock.now(),
    )
    return "!" + 'id="orders-heading"'  # gone from "what needs attention"


def _access_granted(family: Family) -> str:
    grant_family_access(grantor=family.spouse, grantee=family.subscriber, actor=family.spouse.user)
    return "Spouseclaimol"


def _profile_changed(family: Family) -> str:
    family.subscriber.first_name = "Zora"
    family.subscriber.save()
    return "Hello, Zora"


def _plan_changed(family: Family) -> str:
    plan = family.subscriber.plan
    plan.name = "Renamed Gold Plan"
    plan.save()
    return "Renamed Gold Plan"


def _arrange(family: Family, today: dt.date, writer: Callable[[Family], str]) -> None:
    ClaimFactory(member=family.subscriber, drug=DrugFactory(name="Oldclaimol"))
    ClaimFactory(member=family.spouse, drug=DrugFactory(name="Spouseclaimol"))
    AccumulatorFactory(member=family.subscriber)
    if writer is _refill_requested:
        rx = PrescriptionFactory(
            member=family.subscriber, last_filled_on=today - dt.timedelta(days=30), days_supply=30
        )
        FormularyEntry.objects.create(
            formulary=family.subscriber.plan.formulary,
            drug=rx.drug,
            tier=Tier.GENERIC,
            mail_eligible=True,
        )
    if writer in (_order_shipped, _order_cancelled):
        make_order(member=family.subscriber, status=OrderStatus.RECEIVED)
    if writer is _access_granted:
        family.spouse.user = UserFactory(username="spouse")
        family.spouse.save()


@pytest.mark.parametrize(
    "writer",
    [
        _claim_paid,
        _minor_childs_claim_paid,
        _claim_reversed,
        _accumulator_moved,
        _refill_requested,
        _order_shipped,
        _order_cancelled,
        _access_granted,
        _profile_changed,
        _plan_changed,
    ],
    ids=lambda writer: writer.__name__.strip("_"),
)
def test_every_writer_makes_the_next_view_fresh(
    signed_in: Client, family: Family, today: dt.date, writer: Callable[[Family], str]
) -> None:
    _arrange(family, today, writer)
    before = _view(signed_in)
    assert _records_read_by_a_view(signed_in) == []  # cached now

    expected = writer(family)

    after = _view(signed_in)
    if expected.startswith("!"):  # what the write takes away
        assert expected[1:] in before
        assert expected[1:] not in after
    else:
        assert expected not in before
        assert expected in after


def test_a_family_revoke_hides_the_members_rows_at_once(signed_in: Client, family: Family) -> None:
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()
    FamilyAccessGrantFactory(grantor=family.spouse)
    ClaimFactory(member=family.spouse, drug=DrugFactory(name="Spouseclaimol"))
    assert "Spouseclaimol" in _view(signed_in)
    assert _records_read_by_a_view(signed_in) == []

    revoke_family_access(grantor=family.spouse, grantee=family.subscriber, actor=family.spouse.user)

    assert "Spouseclaimol" not in _view(signed_in)


def test_an_account_unlinked_from_its_member_sees_no_dashboard(
    signed_in: Client, family: Family
) -> None:
    assert "Hello, Dana" in _view(signed_in)

    release_members_of_user(user=family.subscriber.user)

    html = _view(signed_in)
    assert "Hello, Dana" not in html
    assert "Member tools are for plan members" in html


@pytest.mark.parametrize(
    "write",
    [
        lambda family: ClaimFactory(member=family.spouse),
        lambda family: AccumulatorFactory(member=family.spouse),
        lambda family: PrescriptionFactory(member=family.spouse),
        lambda family: make_order(member=family.spouse),
        lambda family: FamilyAccessGrantFactory(grantor=family.spouse),
    ],
    ids=["claim", "accumulator", "prescription", "order", "grant"],
)
def test_a_change_in_any_family_members_records_reaches_the_subscribers_key(
    family: Family, write: Callable[[Family], Any]
) -> None:
    """Family totals can move with a member the subscriber does not see: the subscriber's
    number moves too, and every family dashboard's key carries it."""
    from rxportal.core.record_versions import read_record_versions

    def numbers() -> tuple[int, ...]:
        versions, _ = read_record_versions(
            user_id=family.subscriber.user_id, member_ids=[family.subscriber.pk, family.spouse.pk]
        )
        return versions

    before = numbers()
    write(family)
    after = numbers()

    assert after[2] != before[2]  # the subscriber
    assert after[3] != before[3]  # the spouse


# --- Audit, sealing, keys, CSRF, language ---------------------------------------------------


def test_every_view_is_audited_cached_or_not(signed_in: Client, family: Family) -> None:
    ClaimFactory(member=family.subscriber)
    start = AuditEvent.objects.filter(action="phi.dashboard.viewed").count()

    _view(signed_in)
    assert _records_read_by_a_view(signed_in) == []  # this one from the cache
    _view(signed_in)

    events = list(
        AuditEvent.objects.filter(action="phi.dashboard.viewed").order_by("sequence")[start:]
    )
    assert len(events) == 3
    for event in events:
        assert event.actor_id == family.subscriber.user.pk
        assert event.subject_id == str(family.subscriber.public_id)
        assert event.subject_type == "members.member"
        assert event.details["recent_claims"] == 1
        assert event.details["edge"] == "web"


def _stored_entries() -> dict[str, Any]:
    """Every key and raw value in the default cache (local memory or Redis)."""
    backend = cache._cache  # type: ignore[attr-defined]
    if isinstance(backend, dict):  # LocMemCache: pickled values
        import pickle

        return {key: pickle.loads(value) for key, value in backend.items()}  # noqa: S301
    client = backend.get_client(write=False)
    prefix = cache.key_prefix
    return {key.decode(): client.get(key) for key in client.scan_iter(f"{prefix}*")}


def test_entries_are_sealed_and_their_keys_carry_no_phi(signed_in: Client, family: Family) -> None:
    ClaimFactory(member=family.subscriber, drug=DrugFactory(name="Secretdrugol"))

    html = _view(signed_in)
    assert "Secretdrugol" in html

    viewer = family.subscriber.user.public_id.hex
    entries = _stored_entries()
    dashboard = {
        key: value for key, value in entries.items() if ":dashboard:" in key and viewer in key
    }
    assert any(":dashboard:content:" in key for key in dashboard)
    assert any(":dashboard:reads:" in key for key in dashboard)
    phi = [
        family.subscriber.first_name,
        family.subscriber.last_name,
        family.subscriber.member_id,
        family.subscriber.date_of_birth.isoformat(),
        "Secretdrugol",
    ]
    for key, value in dashboard.items():
        assert not any(fact in key for fact in phi), key
        raw = value if isinstance(value, bytes) else repr(value).encode()
        assert not any(fact.encode() in raw for fact in phi), key


def test_a_cached_refill_form_carries_this_requests_token(family: Family, today: dt.date) -> None:
    PrescriptionFactory(
        member=family.subscriber, last_filled_on=today - dt.timedelta(days=30), days_supply=30
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(family.subscriber.user)
    _view(client)
    assert _records_read_by_a_view(client) == []

    html = _view(client)

    form = re.search(r'<form method="post" action="[^"]*".*?</form>', html, re.S)
    assert form is not None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert token is not None and "placeholder" not in token.group(1)
    fields = dict(re.findall(r'name="(member|prescription)" value="([^"]+)"', form.group(0)))
    response = client.post(
        reverse("prescriptions:refill_choose"),
        {"csrfmiddlewaretoken": token.group(1), **fields},
    )
    assert response.status_code != 403


def test_the_content_is_cached_per_language(signed_in: Client) -> None:
    english = _view(signed_in)
    spanish = signed_in.get(URL, headers={"accept-language": "es"}).content.decode()

    assert "What needs attention" in english
    assert "What needs attention" not in spanish
    assert 'lang="es"' in spanish


def test_a_cached_dashboard_still_says_whom_to_call_about_an_order_on_hold(
    signed_in: Client, family: Family
) -> None:
    make_order(member=family.subscriber, status=OrderStatus.ON_HOLD)
    phone = get_support_contacts(viewer=family.subscriber.user).member_phone
    _view(signed_in)
    assert _records_read_by_a_view(signed_in) == []

    assert f"Call member services at {phone}" in _view(signed_in)
