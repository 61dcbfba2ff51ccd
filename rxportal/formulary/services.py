"""Formulary use cases that write: importing drugs and formularies from the reference CSVs,
and keeping the drug search index in step with the drugs.

Each import runs in one transaction (a bad row leaves the tables as they were) and only
writes rows whose values changed, so a second run on the same files writes nothing. Both
imports end by refreshing the search index in the same transaction (it too is left alone
when nothing changed).

Coverage changes that make a covered drug harder or dearer to get are scheduled, not written:
see `import_formularies`, `_ChangeSchedule` and `apply_due_formulary_changes`; the members they
concern are alerted by `alerts.py` once the import commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from django.db import connection, models, transaction

from rxportal.core import clock
from rxportal.core.importing import (
    CsvRow,
    CsvSource,
    ImportCounts,
    ImportReport,
    Upserter,
    batched,
    column_max_length,
)
from rxportal.core.record_versions import bump_all_records
from rxportal.formulary.domain import (
    ChangeNoticeTooShort,
    ControlledSubstanceRule,
    CoverageState,
    DaVinciTier,
    DeaSchedule,
    EntryChange,
    EntryFacts,
    SearchableDrug,
    Strength,
    UnitCost,
    compute_cheaper_alternatives,
    compute_dea_schedule,
    compute_effective_date,
    compute_entry_change,
    compute_search_names,
    compute_therapeutic_class,
    compute_trigrams,
    is_mail_eligible,
    parse_rolling_quantity_limit,
    parse_rxnorm_name,
    prefer_unit_cost,
)
from rxportal.formulary.errors import FormularyChangeNoticeTooShort
from rxportal.formulary.models import (
    ChangeStatus,
    Drug,
    DrugSearchName,
    DrugSearchTerm,
    DrugSearchTrigram,
    Formulary,
    FormularyChange,
    FormularyEntry,
    FormularyVersion,
)

FORMULARY_DRUG_COLUMNS = ("rxcui", "rxnorm_name", "dose_form")
SYNTHEA_MEDICATION_COLUMNS = ("rxcui", "display")
MEDICATION_COST_COLUMNS = ("CODE", "MIN", "MODE", "MAX")
CONTROLLED_SUBSTANCE_COLUMNS = (
    "ingredient",
    "schedule",
    "max_strength",
    "with_ingredient",
    "with_min_strength",
    "cfr_section",
)
PLAN_COLUMNS = ("plan_id", "payer_plan_name", "formulary_id", "formulary_name", "period_start")
ITEM_COLUMNS = (
    "formulary_id",
    "rxcui",
    "rxnorm_name",
    "drug_tier",
    "prior_authorization",
    "step_therapy",
    "quantity_limit",
    "quantity_limit_detail",
    "pharmacy_benefit_types",
)

DRUG_FIELDS = (
    "name",
    "ingredient",
    "strength",
    "dose_form",
    "brand_name",
    "is_brand",
    "therapeutic_class",
    "is_insulin",
    "dea_schedule",
    "unit_cost_min",
    "unit_cost_mode",
    "unit_cost_max",
)
FORMULARY_FIELDS = ("name", "plan_year", "source")
ENTRY_FIELDS = (
    "tier",
    "prior_authorization",
    "step_therapy",
    "quantity_limit",
    "quantity_limit_amount",
    "quantity_limit_days",
    "quantity_limit_detail",
    "is_specialty",
    "mail_eligible",
)
_RXCUI = r"\d{1,16}"


def import_drugs(
    *,
    formulary_drugs: CsvSource,
    synthea_medications: CsvSource,
    medication_costs: CsvSource,
    controlled_substances: CsvSource,
) -> ImportReport:
    """Upsert Drug rows by RxNorm code from the QHP drug list and Synthea's medications.

    Where both files list a code, the QHP name wins: it is RxNorm's normalized name, while
    Synthea's display is hand-written in its modules. Costs come from Synthea's price table,
    DEA schedules from the maintained list of controlled substances (``compute_dea_schedule``).
    """
    report = ImportReport()
    with transaction.atomic():
        # Bulk upserts send no signals: every cached page that names a drug or pharmacy is stale.
        bump_all_records()
        costs = _read_unit_costs(medication_costs, report)
        rules = read_controlled_substance_rules(controlled_substances)
        drugs = Upserter(Drug.objects.all(), key=("rxcui",), fields=DRUG_FIELDS)
        for row in formulary_drugs.rows(columns=FORMULARY_DRUG_COLUMNS):
            rxcui = _rxcui(row, "rxcui")
            if drugs.seen((rxcui,)):
                raise row.error("rxcui", f"{rxcui!r} is listed twice")
            name = row.text("rxnorm_name", max_length=column_max_length(Drug, "name"))
            fallback_form = row.text("dose_form", required=False)
            drugs.put(
                drug_values(rxcui, name, costs.get(rxcui), fallback_form=fallback_form, rules=rules)
            )
        from_formulary = {rxcui for (rxcui,) in drugs.seen_keys}
        synthea_seen: set[str] = set()
        for row in synthea_medications.rows(columns=SYNTHEA_MEDICATION_COLUMNS):
            rxcui = _rxcui(row, "rxcui")
            if rxcui in synthea_seen:
                raise row.error("rxcui", f"{rxcui!r} is listed twice")
            synthea_seen.add(rxcui)
            name = row.text("display", max_length=column_max_length(Drug, "name"))
            if rxcui not in from_formulary:
                drugs.put(drug_values(rxcui, name, costs.get(rxcui), rules=rules))
        drugs.flush()
        rebuild_drug_search_index()
    report.tables["drugs"] = drugs.counts
    unmatched = sorted(set(costs) - from_formulary - synthea_seen)
    if unmatched:
        report.notes.append(
            f"{medication_costs.name}: {len(unmatched)} codes are in neither drug file and were "
            f"not loaded ({', '.join(unmatched)})"
        )
    return report


def drug_values(
    rxcui: str,
    name: str,
    cost: UnitCost | None,
    *,
    fallback_form: str = "",
    rules: Sequence[ControlledSubstanceRule] = (),
) -> dict[str, Any]:
    """Every imported Drug column, derived from the RxNorm name (and the price, if any); the
    DEA schedule from ``rules`` (none given: not controlled)."""
    parsed = parse_rxnorm_name(name)
    return {
        "rxcui": rxcui,
        "name": name,
        "ingredient": _fit(parsed.ingredient, Drug, "ingredient"),
        "strength": _fit(parsed.strength, Drug, "strength"),
        "dose_form": _fit(parsed.dose_form or fallback_form, Drug, "dose_form"),
        "brand_name": _fit(parsed.brand_name, Drug, "brand_name"),
        "is_brand": parsed.is_brand,
        "therapeutic_class": compute_therapeutic_class(parsed.ingredient),
        "is_insulin": parsed.is_insulin,
        "dea_schedule": compute_dea_schedule(name=name, rules=rules).value,
        "unit_cost_min": cost.minimum if cost else None,
        "unit_cost_mode": cost.mode if cost else None,
        "unit_cost_max": cost.maximum if cost else None,
    }


def read_controlled_substance_rules(source: CsvSource) -> list[ControlledSubstanceRule]:
    """The maintained list of controlled substances (see data/reference/SOURCES.md)."""
    rules = []
    schedules = [s.value for s in DeaSchedule if s is not DeaSchedule.NONE]
    for row in source.rows(columns=CONTROLLED_SUBSTANCE_COLUMNS):
        ingredient = row.text("ingredient")
        if ingredient != ingredient.lower():
            raise row.error("ingredient", f"{ingredient!r} must be lower case, as in RxNorm")
        rules.append(
            ControlledSubstanceRule(
                ingredient=ingredient,
                schedule=DeaSchedule(row.choice("schedule", schedules, what="schedule")),
                max_strength=_strength(row, "max_strength"),
                with_ingredient=row.text("with_ingredient", required=False).lower(),
                with_min_strength=_strength(row, "with_min_strength"),
                cfr_section=row.text("cfr_section"),
            )
        )
    return rules


def _strength(row: CsvRow, field: str) -> Strength | None:
    text = row.text(field, required=False)
    if not text:
        return None
    strength = Strength.parse(text)
    if strength is None:
        raise row.error(field, f"{text!r} is not a strength such as '90 MG' or '18 MG/ML'")
    return strength


def _read_unit_costs(source: CsvSource, report: ImportReport) -> dict[str, UnitCost]:
    """The price table by code (about 200 rows: a lookup, kept in memory)."""
    costs: dict[str, UnitCost] = {}
    for row in source.rows(columns=MEDICATION_COST_COLUMNS):
        code = _rxcui(row, "CODE")
        cost = UnitCost(row.money("MIN"), row.money("MODE"), row.money("MAX"))
        if not cost.is_ordered:
            report.notes.append(
                f"{source.name} line {row.line}: MIN/MODE/MAX {row.raw('MIN')}/{row.raw('MODE')}/"
                f"{row.raw('MAX')} are out of order; stored sorted"
            )
            cost = cost.ordered()
        if code in costs:
            report.notes.append(
                f"{source.name} line {row.line}: code {code} is listed again; kept the row "
                "with the higher MODE"
            )
            cost = prefer_unit_cost(costs[code], cost)
        costs[code] = cost
    return costs


def import_formularies(
    *,
    plans: CsvSource,
    items: CsvSource,
    controlled_substances: CsvSource,
    today: dt.date | None = None,
    effective_on: dt.date | None = None,
    safety_withdrawal: bool = False,
) -> ImportReport:
    """Upsert one Formulary per QHP formulary id and its entries, then cheaper alternatives.

    The items file describes each listed formulary completely, so entries of those
    formularies that the file no longer lists are deleted. A change that makes a covered drug
    harder or dearer to get (domain.ADVERSE_CHANGE_KINDS) is not written yet: it is scheduled
    as a FormularyChange for `effective_on` (default and earliest: 30 days from `today`; an
    earlier date is refused with FormularyChangeNoticeTooShort) and the entry keeps its old
    values until `apply_due_formulary_changes` writes it. With `safety_withdrawal` every change
    takes effect at once. Either way, once the import commits, the members who take a changed
    drug are alerted (`formulary.scan_formulary_version`).
    """
    announced_on = today or clock.today()
    try:
        takes_effect = compute_effective_date(
            announced_on=announced_on, requested=effective_on, safety_withdrawal=safety_withdrawal
        )
    except ChangeNoticeTooShort as exc:
        raise FormularyChangeNoticeTooShort(
            str(exc), requested=exc.requested, earliest=exc.earliest
        ) from None
    report = ImportReport()
    with transaction.atomic():
        formularies = _import_formulary_rows(plans)
        formulary_ids = dict(
            Formulary.objects.filter(
                code__in=[code for (code,) in formularies.seen_keys]
            ).values_list("code", "pk")
        )
        schedule = _ChangeSchedule(
            list(formulary_ids.values()),
            announced_on=announced_on,
            effective_on=takes_effect,
            immediate=safety_withdrawal,
        )
        entries, created_drugs, skipped = _import_entry_rows(
            items,
            formulary_ids,
            plans.name,
            rules=read_controlled_substance_rules(controlled_substances),
            hold=schedule.hold,
        )
        schedule.hold_removals(entries)
        entries.delete_unseen()
        versions, changes = schedule.save()
        alternatives = _sync_alternatives(list(formulary_ids.values()))
        for version in versions:
            transaction.on_commit(partial(_start_member_scan, version.public_id))
        if created_drugs:
            rebuild_drug_search_index()
    report.tables["formularies"] = formularies.counts
    report.tables["formulary entries"] = entries.counts
    report.tables["cheaper alternatives"] = alternatives
    if created_drugs:
        report.tables["drugs (from formulary items)"] = ImportCounts(created=created_drugs)
    if changes:
        report.tables["coverage changes announced"] = changes
    for tier, count in sorted(skipped.items()):
        report.notes.append(
            f"{items.name}: {count} items with tier {tier!r} skipped: FormularyEntry.tier has "
            "no such choice"
        )
    return report


def _import_formulary_rows(plans: CsvSource) -> Upserter:
    formularies = Upserter(Formulary.objects.all(), key=("code",), fields=FORMULARY_FIELDS)
    for row in plans.rows(columns=PLAN_COLUMNS):
        code = row.text("formulary_id", max_length=column_max_length(Formulary, "code"))
        if formularies.seen((code,)):
            continue  # several plans may share one formulary: the first row describes it
        plan_id = row.text("plan_id")
        formularies.put(
            {
                "code": code,
                "name": row.text("formulary_name", max_length=column_max_length(Formulary, "name")),
                "plan_year": row.date("period_start").year,
                "source": _fit(
                    f"QHP plan {plan_id} ({row.text('payer_plan_name')})", Formulary, "source"
                ),
            }
        )
    formularies.flush()
    return formularies


def _import_entry_rows(
    items: CsvSource,
    formulary_ids: dict[str, int],
    plans_file: str,
    *,
    rules: Sequence[ControlledSubstanceRule],
    hold: Callable[[dict[str, Any]], dict[str, Any]] = lambda values: values,
) -> tuple[Upserter, int, dict[str, int]]:
    drug_ids = dict(Drug.objects.values_list("rxcui", "pk"))
    # A drug first seen here takes its DEA schedule (``rules``) as import_drugs gives it.
    known_tiers = [str(tier) for tier in DaVinciTier]
    storable_tiers = {value for value, _ in FormularyEntry._meta.get_field("tier").choices or []}
    entries = Upserter(
        FormularyEntry.objects.filter(formulary_id__in=formulary_ids.values()),
        key=("formulary_id", "drug_id"),
        fields=ENTRY_FIELDS,
    )
    created_drugs = 0
    skipped: dict[str, int] = defaultdict(int)
    detail_length = column_max_length(FormularyEntry, "quantity_limit_detail")
    for row in items.rows(columns=ITEM_COLUMNS):
        code = row.raw("formulary_id")
        if code not in formulary_ids:
            raise row.error("formulary_id", f"{code!r} is not in {plans_file}")
        rxcui = _rxcui(row, "rxcui")
        tier = row.choice("drug_tier", known_tiers, what="tier")
        quantity_limit = row.boolean("quantity_limit")
        detail = row.text("quantity_limit_detail", required=False, max_length=detail_length)
        try:
            limit = parse_rolling_quantity_limit(detail) if quantity_limit else None
        except ValueError as exc:
            raise row.error("quantity_limit_detail", str(exc)) from None
        if tier not in storable_tiers:
            skipped[tier] += 1
            continue
        if rxcui not in drug_ids:
            name = row.text("rxnorm_name", max_length=column_max_length(Drug, "name"))
            drug_ids[rxcui] = Drug.objects.create(**drug_values(rxcui, name, None, rules=rules)).pk
            created_drugs += 1
        key = (formulary_ids[code], drug_ids[rxcui])
        if entries.seen(key):
            raise row.error("rxcui", f"{rxcui!r} is listed twice for {code}")
        benefit_types = [t.strip() for t in row.raw("pharmacy_benefit_types").split(";")]
        entries.put(
            hold(
                {
                    "formulary_id": key[0],
                    "drug_id": key[1],
                    "tier": tier,
                    "prior_authorization": row.boolean("prior_authorization"),
                    "step_therapy": row.boolean("step_therapy"),
                    "quantity_limit": quantity_limit,
                    "quantity_limit_amount": limit.amount if limit else None,
                    "quantity_limit_days": limit.days if limit else None,
                    "quantity_limit_detail": detail,
                    "is_specialty": tier == DaVinciTier.SPECIALTY,
                    "mail_eligible": is_mail_eligible(tier=tier, benefit_types=benefit_types),
                }
            )
        )
    entries.flush()
    return entries, created_drugs, skipped


def _sync_alternatives(formulary_ids: list[int]) -> ImportCounts:
    """Second pass: set each entry's alternatives to exactly what the domain rule computes."""
    facts_by_formulary: dict[int, list[EntryFacts]] = defaultdict(list)
    rows = FormularyEntry.objects.filter(formulary_id__in=formulary_ids).values_list(
        "pk", "formulary_id", "drug_id", "drug__ingredient", "drug__dose_form", "tier"
    )
    for entry_id, formulary_id, drug_id, ingredient, dose_form, tier in rows.iterator():
        facts_by_formulary[formulary_id].append(
            EntryFacts(entry_id, drug_id, ingredient, dose_form, tier)
        )
    wanted: set[tuple[Hashable, Hashable]] = set()
    for facts in facts_by_formulary.values():
        for entry, drugs in compute_cheaper_alternatives(facts).items():
            wanted.update((entry, drug) for drug in drugs)

    through = FormularyEntry.alternatives.through
    existing = {
        (entry_id, drug_id): pk
        for pk, entry_id, drug_id in through.objects.filter(
            formularyentry__formulary_id__in=formulary_ids
        ).values_list("pk", "formularyentry_id", "drug_id")
    }
    missing = [pair for pair in wanted if pair not in existing]
    stale = [pk for pair, pk in existing.items() if pair not in wanted]
    for chunk in _chunks(missing):
        through.objects.bulk_create(
            [through(formularyentry_id=entry_id, drug_id=drug_id) for entry_id, drug_id in chunk]
        )
    for pks in _chunks(stale):
        through.objects.filter(pk__in=pks).delete()
    return ImportCounts(
        created=len(missing), unchanged=len(existing) - len(stale), deleted=len(stale)
    )


# --- Scheduled coverage changes -----------------------------------------------------------


def _coverage_state(values: Mapping[str, Any]) -> CoverageState:
    return CoverageState(
        tier=values["tier"],
        prior_authorization=values["prior_authorization"],
        step_therapy=values["step_therapy"],
    )


class _ChangeSchedule:
    """Holds back an import's adverse changes (domain.ADVERSE_CHANGE_KINDS) until they take
    effect, and records them as FormularyChange rows, one FormularyVersion per formulary whose
    import announced something new.

    Importing the same file again announces nothing new: a scheduled change that the file
    still asks for is kept with its date; one it no longer asks for is cancelled.
    """

    def __init__(
        self,
        formulary_ids: list[int],
        *,
        announced_on: dt.date,
        effective_on: dt.date,
        immediate: bool,
    ) -> None:
        self.announced_on = announced_on
        self.effective_on = effective_on
        self.immediate = immediate
        self.before: dict[tuple[int, int], dict[str, Any]] = {
            (row["formulary_id"], row["drug_id"]): row
            for row in FormularyEntry.objects.filter(formulary_id__in=formulary_ids).values(
                "formulary_id", "drug_id", *ENTRY_FIELDS
            )
        }
        self.scheduled: dict[tuple[int, int], FormularyChange] = {
            (change.formulary_id, change.drug_id): change
            for change in FormularyChange.objects.filter(
                formulary_id__in=formulary_ids, status=ChangeStatus.SCHEDULED
            )
        }
        # What the file asks for, by (formulary, drug): the entry's new values, None = removed.
        self.wanted: dict[tuple[int, int], tuple[EntryChange, dict[str, Any] | None]] = {}

    def hold(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values to write now for one imported row: the old ones while an adverse
        change waits for its date, else the row's own."""
        key = (values["formulary_id"], values["drug_id"])
        before = self.before.get(key)
        change = compute_entry_change(
            key[1], _coverage_state(before) if before else None, _coverage_state(values)
        )
        if change is None or not change.is_adverse:
            return values
        self.wanted[key] = (change, {field: values[field] for field in ENTRY_FIELDS})
        if self.immediate or before is None:  # (a change always has a before)
            return values
        return {**before}

    def hold_removals(self, entries: Upserter) -> None:
        """Entries the file no longer lists leave the formulary on the effective date: until
        then they are kept as they are."""
        seen = entries.seen_keys
        for key, before in self.before.items():
            if key in seen:
                continue
            change = compute_entry_change(key[1], _coverage_state(before), None)
            assert change is not None  # a removal is always a change
            self.wanted[key] = (change, None)
            if not self.immediate:
                entries.put(dict(before))
        entries.flush()

    def save(self) -> tuple[list[FormularyVersion], ImportCounts]:
        """Write the new changes, cancel the superseded ones; the versions to alert about."""
        counts = ImportCounts()
        for key, scheduled in self.scheduled.items():
            wanted = self.wanted.get(key)
            if wanted is not None and not self.immediate and wanted[1] == scheduled.entry_after:
                self.wanted.pop(key)  # announced already: keep its date, tell nobody again
                counts.unchanged += 1
                continue
            scheduled.status = ChangeStatus.CANCELLED
            scheduled.save(update_fields=["status", "updated_at"])
            counts.deleted += 1
        versions: dict[int, FormularyVersion] = {}
        for (formulary_id, drug_id), (change, after) in sorted(self.wanted.items()):
            if formulary_id not in versions:
                versions[formulary_id] = FormularyVersion.objects.create(
                    formulary_id=formulary_id,
                    announced_on=self.announced_on,
                    effective_on=self.effective_on,
                    safety_withdrawal=self.immediate,
                )
            FormularyChange.objects.create(
                version=versions[formulary_id],
                formulary_id=formulary_id,
                drug_id=drug_id,
                kinds=",".join(change.kinds),
                tier_before=change.before.tier,
                tier_after=change.after.tier if change.after else "",
                entry_after=after,
                status=ChangeStatus.APPLIED if self.immediate else ChangeStatus.SCHEDULED,
            )
            counts.created += 1
        return list(versions.values()), counts


def announce_coverage_change(
    *,
    formulary: Formulary,
    drug: Drug,
    today: dt.date,
    tier: str | None = None,
    prior_authorization: bool | None = None,
    step_therapy: bool | None = None,
    remove: bool = False,
    effective_on: dt.date | None = None,
) -> FormularyVersion | None:
    """One drug's coverage change outside a file import (the demo, a plan's ad hoc notice),
    by the import's rules: scheduled for `effective_on` (at least 30 days out), members alerted
    once the transaction commits. Only changes that make the drug harder or dearer to get are
    announced this way; None (and nothing written) for any other."""
    entry = FormularyEntry.objects.filter(formulary=formulary, drug=drug).values(*ENTRY_FIELDS)
    current = entry.first()
    if current is None:
        return None
    try:
        takes_effect = compute_effective_date(announced_on=today, requested=effective_on)
    except ChangeNoticeTooShort as exc:
        raise FormularyChangeNoticeTooShort(
            str(exc), requested=exc.requested, earliest=exc.earliest
        ) from None
    with transaction.atomic():
        schedule = _ChangeSchedule(
            [formulary.pk], announced_on=today, effective_on=takes_effect, immediate=False
        )
        if remove:
            change = compute_entry_change(drug.pk, _coverage_state(current), None)
            assert change is not None  # a removal is always a change
            schedule.wanted[(formulary.pk, drug.pk)] = (change, None)
        else:
            wanted = {
                **current,
                "formulary_id": formulary.pk,
                "drug_id": drug.pk,
                **{
                    field: value
                    for field, value in (
                        ("tier", tier),
                        ("prior_authorization", prior_authorization),
                        ("step_therapy", step_therapy),
                    )
                    if value is not None
                },
            }
            schedule.hold(wanted)
        if not schedule.wanted:
            return None  # nothing harder or dearer: no notice owed, nothing scheduled
        # Other scheduled changes of this formulary are not this call's business.
        schedule.scheduled = {
            key: change for key, change in schedule.scheduled.items() if key[1] == drug.pk
        }
        versions, _ = schedule.save()
        for version in versions:
            transaction.on_commit(partial(_start_member_scan, version.public_id))
    return versions[0] if versions else None


def _start_member_scan(version_public_id: uuid.UUID) -> None:
    # The task module imports the alert service (members, claims, pricing, notifications):
    # imported here so loading the importer does not load them all.
    from rxportal.formulary.tasks import scan_formulary_version

    scan_formulary_version.delay(str(version_public_id))


def apply_due_formulary_changes(*, today: dt.date) -> int:
    """Write the scheduled changes whose day has come (daily Celery beat job); how many.

    Safe to run twice: an applied change is no longer scheduled.
    """
    applied = 0
    with transaction.atomic():
        due = list(
            FormularyChange.objects.select_for_update()
            .filter(status=ChangeStatus.SCHEDULED, version__effective_on__lte=today)
            .order_by("pk")
        )
        for change in due:
            entry = FormularyEntry.objects.filter(
                formulary_id=change.formulary_id, drug_id=change.drug_id
            )
            if change.entry_after is None:
                entry.delete()
            else:
                after = {field: change.entry_after[field] for field in ENTRY_FIELDS}
                if not entry.update(**after):
                    FormularyEntry.objects.create(
                        formulary_id=change.formulary_id, drug_id=change.drug_id, **after
                    )
            change.status = ChangeStatus.APPLIED
            change.save(update_fields=["status", "updated_at"])
            applied += 1
        if due:
            _sync_alternatives(sorted({change.formulary_id for change in due}))
    return applied


def _rxcui(row: CsvRow, field: str) -> str:
    return row.matching(field, _RXCUI, description="a numeric RxNorm code")


def _fit(value: str, model: type[models.Model], field: str) -> str:
    """Derived text cut to its column, marked with an ellipsis when cut (rare, long vaccines)."""
    limit = column_max_length(model, field)
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    return batched(items, 500)


# --- Drug search index ----------------------------------------------------------------------


def rebuild_drug_search_index() -> bool:
    """Make the search names and terms match the Drug table; True if anything was written.

    Run by both imports; call it after creating or renaming drugs any other way (tests).
    """
    with transaction.atomic():
        return build_drug_search_index(
            drug_model=Drug,
            name_model=DrugSearchName,
            term_model=DrugSearchTerm,
            trigram_model=DrugSearchTrigram,
            vendor=connection.vendor,
        )


def build_drug_search_index(
    *,
    drug_model: type[models.Model],
    name_model: type[models.Model],
    term_model: type[models.Model],
    trigram_model: type[models.Model],
    vendor: str,
) -> bool:
    """The index for whatever model classes it is given (the migration passes its own).

    Compares the wanted names and terms with the stored ones and, if they differ, replaces
    them all: the index is small (a few rows per ingredient or brand) and derived. Trigram
    rows are written only when the database is not PostgreSQL (which has pg_trgm).
    """
    rows = drug_model.objects.values_list(  # type: ignore[attr-defined]
        "pk", "name", "ingredient", "brand_name", "strength", "dose_form"
    )
    wanted = compute_search_names(SearchableDrug(*row) for row in rows.iterator())
    wanted_state = {
        (name.kind.value, name.label, name.sort_label, name.ingredient, name.drug): frozenset(
            (term, int(weight)) for term, weight in name.terms
        )
        for name in wanted
    }
    if _stored_search_state(name_model, term_model) == wanted_state and (
        vendor == "postgresql" or _trigrams_complete(term_model, trigram_model)
    ):
        return False
    trigram_model.objects.all().delete()  # type: ignore[attr-defined]
    term_model.objects.all().delete()  # type: ignore[attr-defined]
    name_model.objects.all().delete()  # type: ignore[attr-defined]
    for chunk in _chunks(wanted):
        created = name_model.objects.bulk_create(  # type: ignore[attr-defined]
            name_model(
                kind=name.kind.value,
                label=name.label,
                sort_label=name.sort_label,
                ingredient=name.ingredient,
                drug_id=name.drug,
            )
            for name in chunk
        )
        terms = term_model.objects.bulk_create(  # type: ignore[attr-defined]
            [
                term_model(
                    search_name_id=row.pk,
                    term=term,
                    weight=int(weight),
                    trigram_count=len(compute_trigrams(term)),
                )
                for row, name in zip(created, chunk, strict=True)
                for term, weight in name.terms
            ],
            batch_size=500,
        )
        if vendor != "postgresql":
            trigram_model.objects.bulk_create(  # type: ignore[attr-defined]
                [
                    trigram_model(term_id=row.pk, trigram=trigram)
                    for row in terms
                    for trigram in sorted(compute_trigrams(row.term))
                ],
                batch_size=500,
            )
    return True


def _stored_search_state(
    name_model: type[models.Model], term_model: type[models.Model]
) -> dict[tuple[Any, ...], frozenset[tuple[str, int]]]:
    terms: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for name_id, term, weight in term_model.objects.values_list(  # type: ignore[attr-defined]
        "search_name_id", "term", "weight"
    ).iterator():
        terms[name_id].add((term, weight))
    return {
        (kind, label, sort_label, ingredient, drug_id): frozenset(terms[pk])
        for pk, kind, label, sort_label, ingredient, drug_id in name_model.objects.values_list(  # type: ignore[attr-defined]
            "pk", "kind", "label", "sort_label", "ingredient", "drug_id"
        ).iterator()
    }


def _trigrams_complete(term_model: type[models.Model], trigram_model: type[models.Model]) -> bool:
    expected = term_model.objects.aggregate(total=models.Sum("trigram_count"))["total"] or 0  # type: ignore[attr-defined]
    return bool(trigram_model.objects.count() == expected)  # type: ignore[attr-defined]
