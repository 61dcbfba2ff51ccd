"""Each refill due on the dashboard has its own refill button (a plain form: no JavaScript), which
starts the refill flow with that prescription chosen: dashboard -> how to get it -> confirm."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.prescriptions.models import Prescription
from tests.conftest import Family
from tests.factories import DrugFactory, PrescriptionFactory

pytestmark = pytest.mark.django_db


def _rx(member, today: dt.date, name: str, *, filled_days_ago: int) -> Prescription:
    return PrescriptionFactory(
        member=member,
        drug=DrugFactory(name=name),
        last_filled_on=today - dt.timedelta(days=filled_days_ago),
        days_supply=30,
    )


def _forms(html: str) -> list[str]:
    return re.findall(r"<form\b.*?</form>", html, re.S)


def test_each_refill_due_now_has_its_own_refill_form(
    client: Client, family: Family, today: dt.date
) -> None:
    own = _rx(family.subscriber, today, "Nowstatin", filled_days_ago=30)
    childs = _rx(family.minor_child, today, "Childstatin", filled_days_ago=30)
    soon = _rx(family.subscriber, today, "Soonstatin", filled_days_ago=20)  # allowed in 3 days
    client.force_login(family.subscriber.user)

    html = client.get(reverse("web:dashboard")).content.decode()

    action = reverse("prescriptions:refill_choose")
    forms = [form for form in _forms(html) if f'action="{action}"' in form]
    assert len(forms) == 2
    for rx in (own, childs):
        [form] = [form for form in forms if f'value="{rx.public_id}"' in form]
        assert 'method="post"' in form
        assert "csrfmiddlewaretoken" in form
        assert f'name="member" value="{rx.member.public_id}"' in form
        assert f'name="prescription" value="{rx.public_id}"' in form
        assert f'Refill now<span class="visually-hidden"> {rx.drug.name}' in form
    assert str(soon.public_id) not in "".join(forms)
    assert "Soonstatin" in html  # still listed as due soon, without a button


def test_the_dashboard_button_opens_the_delivery_choice_for_that_prescription(
    client: Client, family: Family, today: dt.date
) -> None:
    rx = _rx(family.minor_child, today, "Childstatin", filled_days_ago=30)
    client.force_login(family.subscriber.user)

    response = client.post(
        reverse("prescriptions:refill_choose"),
        {"member": str(rx.member.public_id), "prescription": str(rx.public_id)},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "How do you want to get your refill?" in html
    assert "Childstatin" in html
