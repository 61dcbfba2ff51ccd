"""The formularies as published to anyone (the FHIR US Drug Formulary): each formulary, the
drugs on them and each drug's coverage rules. Public facts, no member and no prices.

Lists are keyset pages on a unique, indexed key (formulary code, RxNorm code, entry key);
``after`` is the last row's key and a page reads one more row to know whether another follows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Exists, OuterRef

from rxportal.formulary.models import Drug, Formulary, FormularyEntry


@dataclass(frozen=True)
class PublishedFormulary:
    code: str
    name: str
    plan_year: int


@dataclass(frozen=True)
class PublishedDrug:
    rxcui: str
    name: str  # the RxNorm normalized name


@dataclass(frozen=True)
class PublishedItem:
    """One drug on one formulary: what Da Vinci calls a FormularyItem."""

    formulary: PublishedFormulary
    drug: PublishedDrug
    tier: str  # a Da Vinci DrugTierCS code
    prior_authorization: bool
    step_therapy: bool
    quantity_limit: bool
    mail_eligible: bool
    is_specialty: bool
    position: int  # keyset position (never shown: a page cursor is signed)


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    next_after: str | int | None  # pass as ``after`` for the next page; None on the last


def _formulary(row: Formulary) -> PublishedFormulary:
    return PublishedFormulary(code=row.code, name=row.name, plan_year=row.plan_year)


def list_formularies(
    *,
    codes: Collection[str] | None = None,
    name_prefix: str = "",
    after: str | None = None,
    limit: int,
) -> Page[PublishedFormulary]:
    rows = Formulary.objects.order_by("code")
    if codes is not None:
        rows = rows.filter(code__in=list(codes))
    if name_prefix:
        rows = rows.filter(name__istartswith=name_prefix)
    if after is not None:
        rows = rows.filter(code__gt=after)
    found = [_formulary(row) for row in rows[: limit + 1]]
    more = len(found) > limit
    found = found[:limit]
    return Page(found, found[-1].code if more else None)


def find_formulary(code: str) -> PublishedFormulary | None:
    row = Formulary.objects.filter(code=code).first()
    return None if row is None else _formulary(row)


def list_formulary_drugs(
    *,
    rxcuis: Collection[str] | None = None,
    name_contains: str = "",
    after: str | None = None,
    limit: int,
) -> Page[PublishedDrug]:
    """Drugs on at least one formulary (a few hundred rows), by RxNorm code."""
    rows = Drug.objects.filter(
        Exists(FormularyEntry.objects.filter(drug_id=OuterRef("pk")))
    ).order_by("rxcui")
    if rxcuis is not None:
        rows = rows.filter(rxcui__in=list(rxcuis))
    if name_contains:
        rows = rows.filter(name__icontains=name_contains)
    if after is not None:
        rows = rows.filter(rxcui__gt=after)
    found = [
        PublishedDrug(rxcui=rxcui, name=name)
        for rxcui, name in rows.values_list("rxcui", "name")[: limit + 1]
    ]
    more = len(found) > limit
    found = found[:limit]
    return Page(found, found[-1].rxcui if more else None)


def find_formulary_drug(rxcui: str) -> PublishedDrug | None:
    page = list_formulary_drugs(rxcuis=[rxcui], limit=1)
    return page.rows[0] if page.rows else None


def list_formulary_items(
    *,
    formulary_codes: Collection[str] | None = None,
    rxcuis: Collection[str] | None = None,
    tiers: Collection[str] | None = None,
    after: int | None = None,
    limit: int,
) -> Page[PublishedItem]:
    """Formulary entries matching every given filter, in key order."""
    rows = FormularyEntry.objects.select_related("formulary", "drug").order_by("pk")
    if formulary_codes is not None:
        rows = rows.filter(formulary__code__in=list(formulary_codes))
    if rxcuis is not None:
        rows = rows.filter(drug__rxcui__in=list(rxcuis))
    if tiers is not None:
        rows = rows.filter(tier__in=list(tiers))
    if after is not None:
        rows = rows.filter(pk__gt=after)
    entries = list(rows[: limit + 1])
    more = len(entries) > limit
    entries = entries[:limit]
    items = [
        PublishedItem(
            formulary=_formulary(entry.formulary),
            drug=PublishedDrug(rxcui=entry.drug.rxcui, name=entry.drug.name),
            tier=entry.tier,
            prior_authorization=entry.prior_authorization,
            step_therapy=entry.step_therapy,
            quantity_limit=entry.quantity_limit,
            mail_eligible=entry.mail_eligible,
            is_specialty=entry.is_specialty,
            position=entry.pk,
        )
        for entry in entries
    ]
    return Page(items, items[-1].position if more else None)


def find_formulary_item(formulary_code: str, rxcui: str) -> PublishedItem | None:
    page = list_formulary_items(formulary_codes=[formulary_code], rxcuis=[rxcui], limit=1)
    return page.rows[0] if page.rows else None
