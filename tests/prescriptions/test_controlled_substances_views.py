"""The prescriptions page and the dashboard for controlled substances: no "Refill now", no
checkbox and no automatic-refill switch for Schedule II, a new prescription offered instead,
and the reason a Schedule III-V prescription stopped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from rxportal.core import clock
from rxportal.formulary.models import Drug
from rxportal.prescriptions.models import Prescription, RefillRequest, RenewalRequest
from tests.factories import DrugFactory
from tests.prescriptions.conftest import Setting, make_rx

pytestmark = pytest.mark.django_db

LIST = reverse("prescriptions:list")
CHOOSE = reverse("prescriptions:refill_choose")


@pytest.fixture
def signed_in(client: Client, setting: Setting) -> Client:
    client.force_login(setting.family.subscriber.user)
    return client


@pytest.fixture
def oxycodone() -> Drug:
    return DrugFactory(name="oxycodone hydrochloride 5 MG Oral Tablet", dea_schedule="CII")


def html(response) -> str:
    return response.content.decode()


def test_a_schedule_ii_prescription_offers_a_new_prescription_not_a_refill(
    signed_in: Client, setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=oxycodone, refills_remaining=3)

    page = html(signed_in.get(LIST))

    assert "Refill now" not in page
    assert f'value="{rx.public_id}"' not in page  # no checkbox to select it
    assert "Refill selected" not in page
    assert reverse("prescriptions:auto_refill", args=[rx.public_id]) not in page
    assert "Turn on" not in page
    assert "Automatic refills: not allowed for Schedule II drugs" in page
    assert "Federal law does not allow refills" in page
    assert "No refills: request a new prescription" in page
    assert "Request a new prescription" in page
    assert reverse("prescriptions:renewal", args=[rx.public_id]) in page


def test_requesting_a_new_schedule_ii_prescription_works_from_the_page(
    signed_in: Client, setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=oxycodone, refills_remaining=3)

    response = signed_in.post(reverse("prescriptions:renewal", args=[rx.public_id]))

    assert response.status_code == 302
    assert RenewalRequest.objects.filter(prescription=rx).count() == 1
    assert "we asked Dr. Alex Example" in html(signed_in.get(LIST))


def test_a_forged_refill_of_schedule_ii_is_refused_with_the_reason(
    signed_in: Client, setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=oxycodone)

    response = signed_in.post(
        CHOOSE, {"member": str(rx.member.public_id), "prescription": [str(rx.public_id)]}
    )

    assert "Schedule II controlled substance" in html(response)
    assert not RefillRequest.objects.exists()


def test_turning_on_automatic_refills_for_schedule_ii_says_why_not(
    signed_in: Client, setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=oxycodone)

    response = signed_in.post(
        reverse("prescriptions:auto_refill", args=[rx.public_id]), {"enabled": "on"}, follow=True
    )

    assert "Automatic refills are not allowed for a Schedule II" in html(response)
    rx.refresh_from_db()
    assert rx.auto_refill is False


def test_a_schedule_iv_prescription_past_six_months_says_why_it_stopped(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    rx: Prescription = make_rx(setting, today=today, drug=DrugFactory(dea_schedule="CIV"))
    rx.written_on = clock.today() - dt.timedelta(days=200)
    rx.save(update_fields=["written_on"])

    page = html(signed_in.get(LIST))

    assert "Refill limit reached: request a new prescription" in page
    assert "refilled at most 5 times" in page
    assert "Refill now" not in page
    assert "Request a new prescription" in page


def test_the_dashboard_asks_for_a_new_schedule_ii_prescription_not_a_refill(
    signed_in: Client, setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    make_rx(setting, today=today, drug=oxycodone)

    page = html(signed_in.get(reverse("web:dashboard")))

    assert "You can refill it now." not in page
    assert "ask your prescriber for a new prescription" in page


def test_the_controlled_substance_texts_are_in_spanish(
    signed_in: Client, setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    make_rx(setting, today=today, drug=oxycodone)
    limited: Prescription = make_rx(setting, today=today, drug=DrugFactory(dea_schedule="CIV"))
    limited.written_on = clock.today() - dt.timedelta(days=200)
    limited.save(update_fields=["written_on"])
    signed_in.cookies["django_language"] = "es"

    with translation.override("en"):  # the middleware's Spanish ends with the test
        page = html(signed_in.get(LIST))
        dashboard = html(signed_in.get(reverse("web:dashboard")))

    for text in (
        "Sin resurtidos: pida una receta nueva",
        "La ley federal no permite resurtidos",
        "Resurtidos automáticos: no permitidos para medicamentos de la Lista II",
        "Límite de resurtidos alcanzado: pida una receta nueva",
        "se puede resurtir como máximo 5 veces",
        "Después de una receta nueva",
        "Pedir una receta nueva",
    ):
        assert text in page, text
    for english in ("Schedule II", "controlled substance", "new prescription"):
        assert english not in page, english
    assert "Una sustancia controlada que no se puede resurtir" in dashboard


def test_a_schedule_ii_prescription_never_filled_offers_its_first_fill(
    signed_in: Client, setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    rx = make_rx(
        setting, today=today, drug=oxycodone, refills_remaining=0, last_filled_days_ago=None
    )

    page = html(signed_in.get(LIST))
    dashboard = html(signed_in.get(reverse("web:dashboard")))

    assert "Fill now" in page
    assert "Refill now" not in page
    assert f'value="{rx.public_id}"' in page  # selectable for its one fill
    assert "it can be filled once" in page
    assert "Fill now" in dashboard
    assert "You can fill it now." in dashboard
    assert "Refill now" not in dashboard


def test_a_schedule_ii_prescription_left_on_automatic_refills_can_be_turned_off(
    signed_in: Client, setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    rx = make_rx(setting, today=today, drug=oxycodone, auto_refill=True)

    page = html(signed_in.get(LIST))

    assert "Automatic refills: on" in page
    assert "Turn off" in page
    assert "Turn on" not in page
    assert reverse("prescriptions:auto_refill", args=[rx.public_id]) in page
    signed_in.post(reverse("prescriptions:auto_refill", args=[rx.public_id]), {"enabled": "off"})
    rx.refresh_from_db()
    assert rx.auto_refill is False
    assert "Automatic refills: not allowed for Schedule II drugs" in html(signed_in.get(LIST))


def test_a_schedule_i_prescription_does_not_say_schedule_ii(
    signed_in: Client, setting: Setting, today: dt.date
) -> None:
    make_rx(setting, today=today, drug=DrugFactory(dea_schedule="CI"))

    page = html(signed_in.get(LIST))

    assert "Schedule II" not in page
    assert "This is a controlled substance that cannot be refilled" in page
    assert "Automatic refills: not allowed for this controlled substance" in page


def test_the_first_fill_and_schedule_i_texts_are_in_spanish(
    signed_in: Client, setting: Setting, today: dt.date, oxycodone: Drug
) -> None:
    make_rx(setting, today=today, drug=oxycodone, last_filled_days_ago=None)
    make_rx(setting, today=today, drug=DrugFactory(dea_schedule="CI"))
    signed_in.cookies["django_language"] = "es"

    with translation.override("en"):
        page = html(signed_in.get(LIST))
        dashboard = html(signed_in.get(reverse("web:dashboard")))

    for english in ("Fill now", "filled once", "controlled substance", "Schedule"):
        assert english not in page, english
        assert english not in dashboard, english
    assert "Surtir ahora" in page
    assert "Surtir ahora" in dashboard
