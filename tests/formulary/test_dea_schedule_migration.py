"""The data migrations that give drugs stored before the DEA schedules existed their schedule,
and turn off automatic refills that Schedule I/II prescriptions must never have. Each runs
its forward function against today's models (a DB migrated without import_reference_data)."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps

from rxportal.formulary.models import Drug
from tests.factories import DrugFactory, PrescriptionFactory

pytestmark = pytest.mark.django_db

SCHEDULES = import_module("rxportal.formulary.migrations.0006_set_dea_schedules_of_stored_drugs")
AUTO_REFILL = import_module(
    "rxportal.prescriptions.migrations.0003_no_auto_refill_for_schedule_i_ii"
)


def test_stored_drugs_get_their_schedule_from_the_list() -> None:
    oxycodone = DrugFactory(name="oxycodone hydrochloride 5 MG Oral Tablet", dea_schedule="")
    tramadol = DrugFactory(name="tramadol hydrochloride 50 MG Oral Tablet", dea_schedule="")
    statin = DrugFactory(name="atorvastatin 40 MG Oral Tablet", dea_schedule="CII")

    SCHEDULES.set_dea_schedules(apps, None)

    schedules = dict(Drug.objects.values_list("pk", "dea_schedule"))
    assert schedules[oxycodone.pk] == "CII"
    assert schedules[tramadol.pk] == "CIV"
    assert schedules[statin.pk] == ""


def test_schedule_i_and_ii_prescriptions_stop_refilling_automatically() -> None:
    today = dt.date(2026, 12, 1)
    oxycodone = DrugFactory(name="oxycodone hydrochloride 5 MG Oral Tablet", dea_schedule="CII")
    tramadol = DrugFactory(name="tramadol hydrochloride 50 MG Oral Tablet", dea_schedule="CIV")
    schedule_ii = PrescriptionFactory(drug=oxycodone, auto_refill=True, written_on=today)
    schedule_iv = PrescriptionFactory(drug=tramadol, auto_refill=True, written_on=today)

    AUTO_REFILL.turn_off_auto_refill(apps, None)

    schedule_ii.refresh_from_db()
    schedule_iv.refresh_from_db()
    assert schedule_ii.auto_refill is False
    assert schedule_iv.auto_refill is True
