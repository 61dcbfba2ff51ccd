"""Members read drug names, not RxNorm strings: every member page, download and message that
names the demo member's birth-control pack shows "Errin 28 Day (norethindrone 0.35 MG Oral
Tablet, pack of 28)", never "{28 (norethindrone ...) } Pack [Errin 28 Day]"; the drug's own
page keeps the RxNorm name as a secondary line."""

from __future__ import annotations

import datetime as dt
import html
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from rxportal.core import clock
from rxportal.formulary.models import Drug, FormularyEntry
from rxportal.formulary.services import drug_values, rebuild_drug_search_index
from rxportal.notifications.models import Notification
from rxportal.orders.models import MailOrder
from rxportal.pharmacies.models import ZipCentroid
from rxportal.plans.models import Tier
from rxportal.prescriptions import services as rx_services
from rxportal.prescriptions.models import Prescription, RefillRequest
from rxportal.prescriptions.reminders import send_refill_reminders
from tests.claims.test_views import _pdf_text
from tests.conftest import Family
from tests.factories import ClaimFactory, DrugFactory, PrescriptionFactory
from tests.pricing.factories import PriceQuoteFactory

pytestmark = pytest.mark.django_db

ERRIN = "{28 (norethindrone 0.35 MG Oral Tablet) } Pack [Errin 28 Day]"
READABLE = "Errin 28 Day (norethindrone 0.35 MG Oral Tablet, pack of 28)"
RAW_MARKS = ("} Pack", "{28 (", "[Errin")


def _imported_drug(name: str) -> Drug:
    """A drug with the columns the importer derives from its RxNorm name (the factory's
    prices)."""
    values = drug_values("0", name, None)
    return DrugFactory(**{k: v for k, v in values.items() if k != "rxcui" and v is not None})


def _due_rx(member: Any, drug: Drug, today: dt.date, **kwargs: Any) -> Prescription:
    return PrescriptionFactory(
        member=member,
        drug=drug,
        written_on=today - dt.timedelta(days=100),
        expires_on=today + dt.timedelta(days=200),
        last_filled_on=today - dt.timedelta(days=30),
        quantity=Decimal("28.000"),
        days_supply=28,
        **kwargs,
    )


@pytest.fixture
def errin(family: Family, today: dt.date) -> dict[str, Any]:
    """The subscriber takes Errin (imported the way the importer derives a drug's columns): a
    due prescription, one on automatic refills whose order the daily job places (with its
    inbox message), a paid claim and a saved price quote."""
    member = family.subscriber
    drug = _imported_drug(ERRIN)
    FormularyEntry.objects.create(
        formulary=member.plan.formulary, drug=drug, tier=Tier.GENERIC, mail_eligible=True
    )
    ZipCentroid.objects.create(zip_code="06103", latitude=41.76, longitude=-72.68, state="CT")
    rx = _due_rx(member, drug, today)
    auto_rx = _due_rx(member, drug, today, auto_refill=True)
    run = rx_services.run_due_auto_refills(today=today, now=clock.now())
    assert run.failed == {}
    refill = RefillRequest.objects.get(lines__prescription=auto_rx)
    assert refill.mail_order is not None
    message = Notification.objects.get(
        recipient=member.user, kind="prescriptions.auto_refill_placed", channel="inbox"
    )
    return {
        "member": member,
        "drug": drug,
        "rx": rx,
        "refill": refill,
        "order": refill.mail_order,
        "claim": ClaimFactory(member=member, drug=drug),
        "quote": PriceQuoteFactory(member=member, drug=drug),
        "message": message,
    }


@pytest.fixture
def signed_in(client: Client, family: Family) -> Client:
    client.force_login(family.subscriber.user)
    return client


def _text(response: HttpResponseBase) -> str:
    if response.streaming:  # the claims CSV
        return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    if response["Content-Type"] == "application/pdf":
        return _pdf_text(response.content)
    return html.unescape(response.content.decode())


def _refill_form(rec: dict[str, Any]) -> dict[str, str]:
    return {
        "member": str(rec["member"].public_id),
        "prescription": str(rec["rx"].public_id),
        "fulfilment": "mail",
        "address": "on_file",
        "idempotency_key": str(uuid.uuid4()),
    }


def _pages(rec: dict[str, Any]) -> list[tuple[str, str, dict[str, str] | None]]:
    """(method, url, data): every member page that names the drug."""
    order: MailOrder = rec["order"]
    return [
        ("get", reverse("web:dashboard"), None),
        ("get", reverse("prescriptions:list"), None),
        ("post", reverse("prescriptions:refill_choose"), _refill_form(rec)),
        ("post", reverse("prescriptions:refill_review"), _refill_form(rec)),
        ("get", reverse("prescriptions:refill_detail", args=[rec["refill"].public_id]), None),
        ("get", reverse("claims:list"), None),
        ("get", reverse("claims:detail", args=[rec["claim"].public_id]), None),
        ("get", reverse("claims:export_csv"), None),
        ("get", reverse("orders:list"), None),
        ("get", reverse("orders:detail", args=[order.public_id]), None),
        ("get", reverse("orders:cancel", args=[order.public_id]), None),
        (
            "get",
            reverse("pricing:estimate"),
            {"person": str(rec["member"].public_id), "drug": str(rec["drug"].public_id)},
        ),
        ("get", reverse("pricing:quotes"), None),
        ("get", reverse("pricing:quote", args=[rec["quote"].public_id]), None),
        ("get", reverse("notifications:message", args=[rec["message"].public_id]), None),
    ]


def test_every_member_page_names_the_pack_readably(
    signed_in: Client, errin: dict[str, Any]
) -> None:
    missing, raw = [], []
    for method, url, data in _pages(errin):
        response = getattr(signed_in, method)(url, data or {})
        assert response.status_code == 200, (url, response.status_code)
        text = _text(response)
        if READABLE not in text:
            missing.append(url)
        if any(mark in text for mark in RAW_MARKS):
            raw.append(url)

    assert missing == []
    assert raw == []


def test_the_claims_statement_pdf_names_the_pack_readably(
    signed_in: Client, errin: dict[str, Any]
) -> None:
    response = signed_in.get(reverse("claims:statement_pdf"))

    assert response.status_code == 200
    text = _pdf_text(response.content)
    # PDF strings escape parentheses: look for the parts between them.
    assert "Errin 28 Day" in text and "pack of 28" in text
    assert "} Pack" not in text and "[Errin" not in text


def test_the_drug_page_keeps_the_rxnorm_name_as_a_secondary_line(
    signed_in: Client, errin: dict[str, Any]
) -> None:
    response = signed_in.get(reverse("formulary:drug", args=[errin["drug"].public_id]))

    text = html.unescape(response.content.decode())
    assert f"<h1>{READABLE}</h1>" in text
    assert f"RxNorm name: {ERRIN}" in text


def test_refill_reminders_name_the_pack_readably(errin: dict[str, Any], today: dt.date) -> None:
    Prescription.objects.filter(pk=errin["rx"].pk).update(  # allowed again tomorrow
        last_filled_on=today - dt.timedelta(days=20)
    )

    send_refill_reminders(today=today)

    [reminder] = Notification.objects.filter(kind="prescriptions.refill_due", channel="inbox")
    assert READABLE in reminder.body_text
    assert "} Pack" not in reminder.body_text


def test_claims_sorted_by_drug_follow_the_names_members_read(
    signed_in: Client, family: Family, errin: dict[str, Any]
) -> None:
    lipitor = _imported_drug("atorvastatin 40 MG Oral Tablet [Lipitor]")
    amoxicillin = _imported_drug("amoxicillin 250 MG Oral Capsule")
    claims = [ClaimFactory(member=family.subscriber, drug=d) for d in (lipitor, amoxicillin)]

    page = html.unescape(
        signed_in.get(reverse("claims:list"), {"sort": "drug-asc"}).content.decode()
    )

    positions = [
        page.index(name)
        for name in ("Amoxicillin 250 MG Oral Capsule", READABLE, "Lipitor 40 MG Oral Tablet")
    ]
    assert positions == sorted(positions), positions
    assert all(reverse("claims:detail", args=[c.public_id]) in page for c in claims)


def test_drug_search_lists_a_pack_by_what_is_in_it(
    signed_in: Client, errin: dict[str, Any]
) -> None:
    rebuild_drug_search_index()

    page = html.unescape(
        signed_in.get(reverse("formulary:search"), {"q": "Errin"}).content.decode()
    )

    link = f'<a href="{reverse("formulary:drug", args=[errin["drug"].public_id])}">'
    assert link in page
    shown = page.split(link, 1)[1].split("</a>", 1)[0]
    assert shown.endswith(READABLE), shown
