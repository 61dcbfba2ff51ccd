"""The new words of the dashboard, the orders pages and the prescriptions page in Spanish: a
prescription on order, a late order and what to do, an order on hold, the refill button."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from rxportal.core import clock
from rxportal.orders.models import MailOrderLine, OrderStatus
from rxportal.prescriptions import errors
from rxportal.prescriptions.selectors import check_refillable, compute_row
from tests.conftest import Family
from tests.factories import DrugFactory, PrescriptionFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db


def test_the_attention_words_are_spanish(client: Client, family: Family, today: dt.date) -> None:
    due = PrescriptionFactory(
        member=family.subscriber,
        drug=DrugFactory(name="Nowstatin"),
        last_filled_on=today - dt.timedelta(days=30),
        days_supply=30,
    )
    held = PrescriptionFactory(
        member=family.subscriber,
        drug=DrugFactory(name="Heldstatin"),
        last_filled_on=today - dt.timedelta(days=30),
        days_supply=30,
    )
    late = make_order(
        member=family.subscriber,
        status=OrderStatus.SHIPPED,
        ordered_at=clock.now() - dt.timedelta(days=10),
        expected_delivery=today - dt.timedelta(days=2),
    )
    MailOrderLine.objects.create(order=late, prescription=held, quantity=30, days_supply=30)
    make_order(member=family.subscriber, status=OrderStatus.ON_HOLD)
    client.force_login(family.subscriber.user)

    def get(url: str) -> str:
        return client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    dashboard = get(reverse("web:dashboard"))
    orders = get(reverse("orders:list"))
    prescriptions = get(reverse("prescriptions:list"))

    assert "Resurtir ahora" in dashboard and str(due.public_id) in dashboard
    for html in (dashboard, orders):
        assert "Retrasado" in html
        assert "no ha llegado" in html
        assert "Llame a servicios para miembros" in html
    assert "para que se mueva" in dashboard
    assert "En camino" in prescriptions
    assert "Después de que llegue el pedido abierto" in prescriptions
    with translation.override("es"), pytest.raises(errors.RefillOnOrder) as raised:
        check_refillable(compute_row(held, today=today, has_open_order=True))
    assert "pedido por correo abierto" in raised.value.message
