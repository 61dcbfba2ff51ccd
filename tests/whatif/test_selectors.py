"""The what-if's reads that the result page shows."""

from __future__ import annotations

import pytest

from rxportal.whatif.selectors import list_drug_names
from tests.factories import DrugFactory

pytestmark = pytest.mark.django_db


def test_most_affected_drugs_are_named_as_members_read_them() -> None:
    errin = DrugFactory(name="{28 (norethindrone 0.35 MG Oral Tablet) } Pack [Errin 28 Day]")
    lipitor = DrugFactory(name="atorvastatin 40 MG Oral Tablet [Lipitor]")

    names = list_drug_names([errin.pk, lipitor.pk])

    assert names == {
        errin.pk: "Errin 28 Day (norethindrone 0.35 MG Oral Tablet, pack of 28)",
        lipitor.pk: "Lipitor 40 MG Oral Tablet",
    }
