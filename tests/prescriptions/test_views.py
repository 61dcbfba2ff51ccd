"""The prescriptions pages and the refill flow over HTTP: access rules, cost first, one order
per confirm key, clear messages for bad input with nothing written."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.members.models import FamilyAccessGrant
from rxportal.orders.models import MailOrder
from rxportal.prescriptions.models import Prescription, RefillRequest, RenewalRequest
from rxportal.pricing.selectors import estimate_fill
from rxportal.web.templatetags.money import money
from tests.factories import DrugFactory, MemberFactory, UserFactory
from tests.prescriptions.conftest import Setting, make_rx

pytestmark = pytest.mark.django_db

LIST = reverse("prescriptions:list")
CHOOSE = reverse("prescriptions:refill_choose")
REVIEW = reverse("prescriptions:refill_review")
CONFIRM = reverse("prescriptions:refill_confirm")


@pytest.fixture
def signed_in(client: Client, setting: Setting) -> Client:
    client.force_login(setting.family.subscriber.user)
    return client


def html(response) -> str:
    return response.content.decode()


def choice(rx: Prescription, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "member": str(rx.member.public_id),
        "prescription": [str(rx.public_id)],
        "fulfilment": "mail",
        "address": "on_file",
    }
    data.update(extra)
    return data


# --- Access ----------------------------------------------------------------------------------------

# A fixed id no row has (ids in parametrize must be the same in every xdist worker).
UNKNOWN_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("post", CHOOSE),
        ("post", REVIEW),
        ("post", CONFIRM),
        ("get", reverse("prescriptions:refill_detail", args=[UNKNOWN_ID])),
        ("post", reverse("prescriptions:auto_refill", args=[UNKNOWN_ID])),
        ("post", reverse("prescriptions:renewal", args=[UNKNOWN_ID])),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, method: str, url: str) -> None:
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_non_members_get_the_members_only_page(client: Client) -> None:
    client.force_login(UserFactory(role="client"))

    assert client.get(LIST).status_code == 403


def test_the_list_shows_own_and_minor_childs_prescriptions_only(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    family = setting.family
    make_rx(setting, today=today, drug=DrugFactory(name="Own Drug"))
    make_rx(setting, today=today, member=family.minor_child, drug=DrugFactory(name="Child Drug"))
    make_rx(setting, today=today, member=family.adult_child, drug=DrugFactory(name="Adult Drug"))
    make_rx(setting, today=today, member=family.spouse, drug=DrugFactory(name="Spouse Drug"))
    make_rx(setting, today=today, member=MemberFactory(), drug=DrugFactory(name="Other Drug"))

    response = signed_in.get(LIST)

    assert response.status_code == 200
    page = html(response)
    assert "Own Drug" in page and "Child Drug" in page
    for hidden in ("Adult Drug", "Spouse Drug", "Other Drug"):
        assert hidden not in page
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="phi.prescriptions.viewed")
    assert event.subject_id == str(family.subscriber.public_id)
    assert event.details == {"edge": "web", "people": 2, "prescriptions": 2}


def test_an_adult_dependent_who_consented_is_listed(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    family = setting.family
    FamilyAccessGrant.objects.create(grantor=family.adult_child, grantee=family.subscriber)
    make_rx(setting, today=today, member=family.adult_child, drug=DrugFactory(name="Adult Drug"))

    assert "Adult Drug" in html(signed_in.get(LIST))


def test_the_list_shows_statuses_dates_and_prescriber(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    make_rx(setting, today=today, drug=DrugFactory(name="Ready Drug"))
    make_rx(setting, today=today, last_filled_days_ago=3, drug=DrugFactory(name="Soon Drug"))
    make_rx(setting, today=today, refills_remaining=0, drug=DrugFactory(name="Empty Drug"))
    make_rx(setting, today=today, expires_in_days=-5, drug=DrugFactory(name="Old Drug"))

    page = html(signed_in.get(LIST))

    assert "Refill now" in page
    assert "Too soon: refill from" in page
    assert "No refills left: request a renewal" in page
    assert "Expired: request a renewal" in page
    assert "Dr. Alex Example" in page
    assert page.count('name="prescription"') == 1  # only the refillable one has a checkbox


def test_the_list_stays_within_its_query_budget(
    signed_in: Client, setting: Setting, today: dt.date, django_assert_max_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add_rows() -> None:
        for _ in range(6):
            make_rx(setting, today=today, drug=DrugFactory())
            make_rx(setting, today=today, member=setting.family.minor_child, drug=DrugFactory())

    add_rows()
    signed_in.get(LIST)  # the first request of a session also records the user session

    # Session, user and user-session middleware (about 7), then the page: the member, the
    # family (2), prescriptions with drugs, open renewals, and the audit append (4 statements
    # with its savepoint, 5 on PostgreSQL with the advisory lock).
    with django_assert_max_num_queries(18):
        response = signed_in.get(LIST)
    assert response.status_code == 200

    with CaptureQueriesContext(connection) as fewer:
        signed_in.get(LIST)
    add_rows()
    with CaptureQueriesContext(connection) as more:
        signed_in.get(LIST)
    assert len(more) == len(fewer)  # no query per prescription


# --- The refill flow -------------------------------------------------------------------------------


def test_mail_refill_shows_the_cost_first_then_places_one_order(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)

    step1 = signed_in.post(CHOOSE, choice(rx))
    assert step1.status_code == 200
    assert "How do you want to get your refill?" in html(step1)
    assert setting.pharmacy.name in html(step1)  # the in-network pharmacy for pick-up
    assert setting.outside_pharmacy.name not in html(step1)

    step2 = signed_in.post(REVIEW, choice(rx))
    assert step2.status_code == 200
    page = html(step2)
    expected = estimate_fill(
        member=rx.member,
        drug=rx.drug,
        channel="mail_90",
        days_supply=30,
        quantity=Decimal("30.000"),
    ).member_pays
    assert money(expected) in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]+)"', page).group(1)  # type: ignore[union-attr]
    assert RefillRequest.objects.count() == 0  # nothing is placed before confirming
    assert AuditEvent.objects.filter(action="phi.refill_estimate.viewed").count() == 1

    confirm = choice(rx, idempotency_key=key)
    step3 = signed_in.post(CONFIRM, confirm)
    again = signed_in.post(CONFIRM, confirm)  # a double click

    request = RefillRequest.objects.get()
    detail = reverse("prescriptions:refill_detail", args=[request.public_id])
    assert step3.status_code == 302 and step3["Location"] == detail
    assert again["Location"] == detail
    assert MailOrder.objects.count() == 1
    done = signed_in.get(detail)
    assert done.status_code == 200
    assert request.mail_order.order_number in html(done)  # type: ignore[union-attr]
    assert money(expected) in html(done)


def test_pick_up_needs_a_pharmacy_choice(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)

    response = signed_in.post(REVIEW, choice(rx, fulfilment="pickup"))

    assert response.status_code == 200
    assert "Choose a pharmacy to pick up your refill." in html(response)


def test_pick_up_refill_at_an_in_network_pharmacy(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    data = choice(rx, fulfilment="pickup", pharmacy=str(setting.pharmacy.public_id))

    review = html(signed_in.post(REVIEW, data))
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]+)"', review).group(1)  # type: ignore[union-attr]
    response = signed_in.post(CONFIRM, {**data, "idempotency_key": key})

    assert response.status_code == 302
    request = RefillRequest.objects.get()
    assert request.pharmacy == setting.pharmacy
    assert setting.pharmacy.name in html(signed_in.get(response["Location"]))


def test_an_out_of_network_pharmacy_is_refused_on_the_review(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    data = choice(rx, fulfilment="pickup", pharmacy=str(setting.outside_pharmacy.public_id))

    response = signed_in.post(REVIEW, data)

    assert "That pharmacy is not in your plan&#x27;s network" in html(response)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"last_filled_days_ago": 5}, "It is too soon to refill this prescription"),
        ({"refills_remaining": 0}, "This prescription has no refills left"),
        ({"expires_in_days": -1}, "This prescription has expired"),
    ],
)
@pytest.mark.parametrize("url", [CHOOSE, REVIEW, "confirm"])
def test_bad_refills_get_a_clear_message_and_nothing_is_written(
    signed_in: Client,
    setting: Setting,
    today: dt.date,
    kwargs: dict[str, int],
    message: str,
    url: str,
) -> None:
    rx = make_rx(setting, today=today, drug=DrugFactory(name="Named Drug"), **kwargs)
    data = choice(rx)
    if url == "confirm":
        url, data = CONFIRM, {**data, "idempotency_key": str(uuid.uuid4())}

    response = signed_in.post(url, data)

    assert response.status_code == 200
    page = html(response)
    assert "We could not start this refill" in page
    assert f"Named Drug: {message}" in page
    assert "Nothing was ordered." in page
    assert RefillRequest.objects.count() == 0
    assert MailOrder.objects.count() == 0
    refills = Prescription.objects.get(pk=rx.pk).refills_remaining
    assert refills == kwargs.get("refills_remaining", 3)


@pytest.mark.parametrize("url", [CHOOSE, REVIEW, CONFIRM])
def test_nothing_selected_gets_a_message(
    signed_in: Client, setting: Setting, today: dt.date, url: str
) -> None:
    rx = make_rx(setting, today=today)
    data = {**choice(rx), "prescription": [], "idempotency_key": str(uuid.uuid4())}

    response = signed_in.post(url, data)

    assert response.status_code == 200
    assert "Choose at least one prescription to refill." in html(response)
    assert RefillRequest.objects.count() == 0


@pytest.mark.parametrize("url", [CHOOSE, REVIEW, CONFIRM])
def test_another_familys_prescription_gets_a_message_and_nothing_is_written(
    signed_in: Client, setting: Setting, today: dt.date, url: str
) -> None:
    stranger = make_rx(setting, today=today, member=MemberFactory())
    own = make_rx(setting, today=today)
    data = {
        **choice(own),
        "prescription": [str(stranger.public_id)],
        "idempotency_key": str(uuid.uuid4()),
    }

    response = signed_in.post(url, data)

    assert "We could not find that prescription" in html(response)
    assert RefillRequest.objects.count() == 0
    assert Prescription.objects.get(pk=stranger.pk).refills_remaining == 3


@pytest.mark.parametrize("member", ["not-a-uuid", str(UNKNOWN_ID)])
def test_an_unknown_person_gets_a_message(
    signed_in: Client, setting: Setting, today: dt.date, member: str
) -> None:
    rx = make_rx(setting, today=today)

    response = signed_in.post(CHOOSE, {**choice(rx), "member": member})

    assert "We could not find that prescription" in html(response)


def test_a_garbled_prescription_id_gets_a_message(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)

    response = signed_in.post(CHOOSE, {**choice(rx), "prescription": ["1 OR 1=1"]})

    assert "We could not find that prescription" in html(response)


def test_refill_steps_are_post_only(signed_in: Client) -> None:
    assert signed_in.get(CHOOSE).status_code == 405
    assert signed_in.get(CONFIRM).status_code == 405


def test_another_familys_refill_request_is_404(
    client: Client, setting: Setting, today: dt.date
) -> None:
    from rxportal.core import clock
    from rxportal.prescriptions.services import RefillLineInput, request_refill

    plan = setting.family.subscriber.plan
    stranger = MemberFactory(user=UserFactory(), plan=plan, client=plan.client)
    theirs = make_rx(setting, today=today, member=stranger)
    request = request_refill(
        actor=stranger.user,
        member_id=stranger.public_id,
        lines=[RefillLineInput(theirs.public_id)],
        fulfilment="mail",
        idempotency_key=uuid.uuid4(),
        today=today,
        now=clock.now(),
    )
    client.force_login(setting.family.subscriber.user)

    url = reverse("prescriptions:refill_detail", args=[request.public_id])
    assert client.get(url).status_code == 404


# --- Automatic refills and renewals --------------------------------------------------------------


def test_auto_refill_toggle(signed_in: Client, setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    url = reverse("prescriptions:auto_refill", args=[rx.public_id])

    response = signed_in.post(url, {"enabled": "on"})

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}#rx-{rx.public_id}"
    rx.refresh_from_db()
    assert rx.auto_refill is True
    assert "Automatic refills: on" in html(signed_in.get(LIST))
    signed_in.post(url, {"enabled": "off"})
    rx.refresh_from_db()
    assert rx.auto_refill is False


def test_auto_refill_of_another_familys_prescription_is_404(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today, member=MemberFactory())

    response = signed_in.post(
        reverse("prescriptions:auto_refill", args=[rx.public_id]), {"enabled": "on"}
    )

    assert response.status_code == 404
    rx.refresh_from_db()
    assert rx.auto_refill is False


def test_renewal_request_is_shown_on_the_list(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today, refills_remaining=0)

    response = signed_in.post(reverse("prescriptions:renewal", args=[rx.public_id]))

    assert response.status_code == 302
    assert RenewalRequest.objects.filter(prescription=rx).count() == 1
    page = html(signed_in.get(LIST))
    assert "we asked Dr. Alex Example" in page
    assert "Request a renewal" not in page


def test_renewal_not_needed_gets_a_message(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)

    response = signed_in.post(reverse("prescriptions:renewal", args=[rx.public_id]), follow=True)

    assert "still has refills" in html(response)
    assert RenewalRequest.objects.count() == 0


def test_renewal_of_another_familys_prescription_is_404(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today, member=MemberFactory(), refills_remaining=0)

    response = signed_in.post(reverse("prescriptions:renewal", args=[rx.public_id]))

    assert response.status_code == 404


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_refill_confirmation_time_ends_in_one_period(
    signed_in: Client, setting: Setting, today: dt.date, language: str
) -> None:
    """The request time ("2:26 p.m.") is never followed by a sentence's own period."""
    rx = make_rx(setting, today=today)
    signed_in.post(reverse("set_language"), {"language": language, "next": LIST})
    page = html(signed_in.post(REVIEW, choice(rx)))
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]+)"', page).group(1)  # type: ignore[union-attr]

    done = signed_in.post(CONFIRM, choice(rx, idempotency_key=key), follow=True)

    assert done.status_code == 200
    text = re.sub(r"<[^>]+>", " ", html(done))
    assert not re.search(r"\.\s*\.", text), re.findall(r".{40}\.\s*\..{5}", text)
    request = RefillRequest.objects.get()
    assert str(request.public_id) in text
