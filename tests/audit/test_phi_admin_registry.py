"""Every registered admin is classified, and every PHI admin uses the one audited base.

A new ModelAdmin fails here until it is put in one list of ``phi_admin_support``; a PHI one then
fails until it uses ``PhiAdminMixin``. No test database needed: this reads the admin registry.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model

from rxportal.audit.phi_admin import PhiAdminMixin, ReferenceAdminMixin
from tests.audit.phi_admin_support import (
    AUDIT_TRAIL_MODELS,
    MAKERS,
    PHI_MODELS,
    REFERENCE_MODELS,
)

# A model that links to one of these holds a person's data.
PERSON_MODELS = frozenset({"members.member", "accounts.user"})


def _registered() -> dict[str, admin.ModelAdmin[Any]]:
    return {
        model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()
    }


def _forward_relations(model: type[Model]) -> set[str]:
    return {
        field.related_model._meta.label_lower
        for field in model._meta.get_fields()
        if (field.many_to_one or field.one_to_one or field.many_to_many)
        and not field.auto_created
        and field.related_model is not None
        and not isinstance(field.related_model, str)
    }


def test_the_lists_do_not_overlap() -> None:
    assert not PHI_MODELS & REFERENCE_MODELS
    assert not (PHI_MODELS | REFERENCE_MODELS) & AUDIT_TRAIL_MODELS
    assert set(MAKERS) == PHI_MODELS


def test_every_registered_admin_is_classified_as_phi_or_reference() -> None:
    registered = set(_registered())

    assert registered - (PHI_MODELS | REFERENCE_MODELS | AUDIT_TRAIL_MODELS) == set(), (
        "a new back-office admin: add it to PHI_MODELS (and use PhiAdminMixin) or, if it holds "
        "no person's data, to REFERENCE_MODELS in tests/audit/phi_admin_support.py"
    )
    assert (PHI_MODELS | REFERENCE_MODELS | AUDIT_TRAIL_MODELS) - registered == set()


@pytest.mark.parametrize("label", sorted(PHI_MODELS))
def test_every_phi_admin_uses_the_audited_base(label: str) -> None:
    assert isinstance(_registered()[label], PhiAdminMixin)


@pytest.mark.parametrize("label", sorted(REFERENCE_MODELS))
def test_reference_admins_and_their_inlines_link_to_no_person(label: str) -> None:
    model_admin = _registered()[label]
    models = [model_admin.model, *(inline.model for inline in model_admin.inlines)]

    for model in models:
        assert not _forward_relations(model) & PERSON_MODELS, model._meta.label_lower
        assert model._meta.label_lower not in PERSON_MODELS


def test_no_admin_offers_an_unaudited_autocomplete_over_phi() -> None:
    """Autocomplete searches the target's admin outside its changelist, so none may target PHI."""
    for label, model_admin in _registered().items():
        for field_name in model_admin.autocomplete_fields:
            target = model_admin.model._meta.get_field(field_name).related_model
            assert target._meta.label_lower not in PHI_MODELS, f"{label}.{field_name}"


def test_the_audit_trail_keeps_its_own_rule() -> None:
    """Not PHI-gated: PBM staff with the view permission search it (see test_admin.py)."""
    for label in AUDIT_TRAIL_MODELS:
        assert not isinstance(_registered()[label], PhiAdminMixin)


@pytest.mark.parametrize("label", sorted(REFERENCE_MODELS))
def test_every_reference_admin_counts_related_records_on_its_delete_page(label: str) -> None:
    assert isinstance(_registered()[label], ReferenceAdminMixin)
